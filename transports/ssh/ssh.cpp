// The `ssh` method: this program on another machine, through libssh in this
// process and the shell bootstrap on an exec channel.
#include <unistd.h>

#include <cstdlib>

#include "parent/bootstrap.hpp"
#include "parent/method_impl.hpp"
#include "transports/ssh/ssh_config.hpp"
#include "transports/ssh/ssh_session.hpp"

namespace tether::detail {

namespace {

SshTarget target_for(const SshOptions& options, const BootstrapPlan& plan,
                     const std::string& name) {
    if (options.hostname.empty()) {
        throw ConnectError(name, "ssh: hostname is required");
    }
    if (options.port <= 0 || options.port > 65535) {
        throw ConnectError(name, "ssh: invalid port " + std::to_string(options.port));
    }
    if (options.keepalive_count < 1) {
        throw ConnectError(name, "ssh: keepalive_count must be at least 1");
    }
    Account me = this_account();
    SshTarget target;
    target.host = options.hostname;
    target.port = options.port;
    target.credentials.username = options.username.empty() ? me.name : options.username;
    if (target.credentials.username.empty()) {
        throw ConnectError(name, "ssh: no username given and this user has no name");
    }
    if (options.identity_file.empty()) {
        for (const char* file : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
            std::string path = me.home + "/.ssh/" + file;
            if (::access(path.c_str(), F_OK) == 0) {
                target.credentials.key_files.push_back(path);
            }
        }
    } else {
        target.credentials.key_files.push_back(options.identity_file);
    }
    target.credentials.password = options.password;
    target.credentials.use_agent = options.use_agent;
    target.host_keys = options.check_host_keys;
    target.known_hosts_file =
        options.known_hosts_file.empty() ? me.home + "/.ssh/known_hosts" : options.known_hosts_file;
    target.keepalive_interval = options.keepalive_interval;
    target.keepalive_count = options.keepalive_count;
    target.compression = options.compression;
    // The remote user's shell runs this line: every word quoted for it, and
    // exec'd, so that sshd reports the program's own exit status or signal
    // (a shell in between turns SIGSEGV into "exit status 139").
    target.command = "exec " + shell_join(bootstrap_argv(plan));
    return target;
}

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds time_left(Clock::time_point deadline, const std::string& name,
                                    const std::string& phase) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
        throw ConnectError(name, "connect timeout ran out in phase '" + phase + "'");
    }
    return left;
}

// Starts the ProxyJump hosts (defined below). Throws ConnectError named `name`.
Context start_jumps(Router& router, const SshOptions& given, const std::vector<JumpHop>& jumps,
                    Clock::time_point deadline, const std::string& name);

}  // namespace

template <>
struct Method<SshOptions> {
    static constexpr const char* kind = "ssh";

    static std::string default_name(const SshOptions& options) {
        return "ssh." + options.hostname + ":" + std::to_string(options.port);
    }

    // The client config is read here, where the start was asked for, and the
    // settled options travel to `via` (which may have no config). The name
    // keeps the host as written (the alias) with the port the config gave.
    static void prepare(Router& router, SshOptions& options) {
        if (!options.use_config || options.hostname.empty()) {
            return;
        }
        const auto deadline = Clock::now() + options.connect_timeout;
        const SshOptions given = options;
        std::string name = options.name.empty() ? default_name(options) : options.name;
        std::vector<JumpHop> jumps;
        try {
            jumps = apply_ssh_config(options);
        } catch (const std::exception& e) {
            throw ConnectError(name, std::string("phase 'config': ") + e.what());
        }
        if (options.name.empty()) {
            options.name = name = "ssh." + given.hostname + ":" + std::to_string(options.port);
        }
        if (!jumps.empty()) {
            options.via = start_jumps(router, given, jumps, deadline, name);
            options.connect_timeout = time_left(deadline, name, "ProxyJump");
        }
    }

    static Context start_here(Router& router, SshOptions& options, const std::string& name) {
        BootstrapPlan plan = plan_bootstrap(options.connect_timeout, options.env);
        plan.compress = true;  // across a network: bytes cost more than gzip's time
        SshTarget target = target_for(options, plan, name);
        ChildSpec spec{kind, name, options.remote_name, options.connect_timeout, options.debug};
        RouterCore& core = router.core();
        return start_child(core, spec, [&](const BootConfig&) {
            std::shared_ptr<SshSession> session;
            try {
                session = std::make_shared<SshSession>(core.broker(), std::move(target));
            } catch (const Error& e) {
                throw ConnectError(name, std::string("phase 'connect': ") + e.what());
            }
            SpawnedChild child;
            child.handle = session;
            child.protocol_fd = session->take_protocol_fd();
            child.stderr_fd = session->take_stderr_fd();
            child.bootstrap = std::move(plan);
            if (options.password) {
                child.redact.push_back(*options.password);
            }
            return child;
        });
    }
};

namespace {

// The contexts of a ProxyJump list, each started through the one before:
// tether runs on every jump host (no `ssh -W` forwarding), so the next hop's
// connection is made from there. Each jump host takes its HostName, Port,
// User, IdentityFile and UserKnownHostsFile from the config (read here: the
// jump hosts may have none), but not its own ProxyJump; from `given` (the
// target's options as written) it takes what concerns the whole chain.
Context start_jumps(Router& router, const SshOptions& given, const std::vector<JumpHop>& jumps,
                    Clock::time_point deadline, const std::string& name) {
    std::optional<Context> via;
    for (const JumpHop& hop : jumps) {
        SshOptions jump{.hostname = hop.host,
                        .port = hop.port.value_or(22),
                        .username = hop.user,
                        .check_host_keys = given.check_host_keys,
                        .known_hosts_file = given.known_hosts_file,
                        .keepalive_interval = given.keepalive_interval,
                        .keepalive_count = given.keepalive_count,
                        .compression = given.compression,
                        .use_agent = given.use_agent,
                        .config_file = given.config_file,
                        .debug = given.debug};
        try {
            apply_ssh_config(jump);  // its own ProxyJump is not followed
            jump.name = "ssh." + hop.host + ":" + std::to_string(jump.port);
            jump.connect_timeout = time_left(deadline, name, "ProxyJump " + hop.text);
            jump.via = via;
            via = start(router, std::move(jump));
        } catch (const ConnectError& e) {
            throw ConnectError(
                name, "ProxyJump " + hop.text + " (" + e.context_name() + "): " + e.reason(),
                e.diagnostics());
        } catch (const std::exception& e) {
            throw ConnectError(name, "ProxyJump " + hop.text + ": " + e.what());
        }
    }
    return *via;
}

}  // namespace

}  // namespace tether::detail

TETHER_METHOD(tether::SshOptions);

namespace tether {

Context Router::ssh(SshOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
