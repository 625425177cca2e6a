// The `ssh` method: this program on another machine, through libssh in this
// process and the shell bootstrap on an exec channel.
#include <unistd.h>

#include <cstdlib>

#include "parent/bootstrap.hpp"
#include "parent/method_impl.hpp"
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

}  // namespace

template <>
struct Method<SshOptions> {
    static constexpr const char* kind = "ssh";

    static std::string default_name(const SshOptions& options) {
        return "ssh." + options.hostname + ":" + std::to_string(options.port);
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

}  // namespace tether::detail

TETHER_METHOD(tether::SshOptions);

namespace tether {

Context Router::ssh(SshOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
