// The `ssh` method: this program on another machine, through libssh in this
// process and the shell bootstrap on an exec channel.
#include <unistd.h>

#include <cstdlib>

#include "parent/bootstrap.hpp"
#include "parent/via.hpp"
#include "tether/export.hpp"
#include "tether/router.hpp"
#include "transports/ssh_session.hpp"

namespace tether::detail {

struct SshRequest {
    CommonRequest common;
    std::string hostname;
    int port = 22;
    std::string username;
    std::string identity_file;
    std::optional<Secret> password;
    int check_host_keys = 0;
    std::string known_hosts_file;
    std::int64_t keepalive_interval_ms = 0;
    int keepalive_count = 0;
    bool compression = false;
    bool use_agent = true;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(common, hostname, port, username, identity_file, password, check_host_keys,
           known_hosts_file, keepalive_interval_ms, keepalive_count, compression, use_agent);
    }
};

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
    // The remote user's shell runs this line: every word quoted for it.
    target.command = shell_join(bootstrap_argv(plan));
    return target;
}

}  // namespace

Context start_ssh_via(CallContext& cc, SshRequest request) {
    SshOptions options;
    apply_common(request.common, options);
    options.hostname = std::move(request.hostname);
    options.port = request.port;
    options.username = std::move(request.username);
    options.identity_file = std::move(request.identity_file);
    options.password = std::move(request.password);
    options.check_host_keys = static_cast<HostKeyPolicy>(request.check_host_keys);
    options.known_hosts_file = std::move(request.known_hosts_file);
    options.keepalive_interval = std::chrono::milliseconds(request.keepalive_interval_ms);
    options.keepalive_count = request.keepalive_count;
    options.compression = request.compression;
    options.use_agent = request.use_agent;
    return cc.router().ssh(std::move(options));
}

}  // namespace tether::detail

TETHER_EXPORT(tether::detail::start_ssh_via);

namespace tether {

Context Router::ssh(SshOptions options) {
    if (options.via) {
        detail::SshRequest request{detail::common_request(options),
                                   options.hostname,
                                   options.port,
                                   options.username,
                                   options.identity_file,
                                   options.password,
                                   static_cast<int>(options.check_host_keys),
                                   options.known_hosts_file,
                                   options.keepalive_interval.count(),
                                   options.keepalive_count,
                                   options.compression,
                                   options.use_agent};
        return detail::start_via(options, detail::start_ssh_via, std::move(request), "ssh");
    }
    std::string name = options.name.empty()
                           ? "ssh." + options.hostname + ":" + std::to_string(options.port)
                           : options.name;
    detail::BootstrapPlan plan = detail::plan_bootstrap(options.connect_timeout, options.env);
    detail::SshTarget target = detail::target_for(options, plan, name);
    detail::ChildSpec spec{"ssh", name, options.remote_name, options.connect_timeout,
                           options.debug};
    return detail::start_child(core(), spec, [&](const detail::BootConfig&) {
        std::shared_ptr<detail::SshSession> session;
        try {
            session = std::make_shared<detail::SshSession>(core().broker(), std::move(target));
        } catch (const Error& e) {
            throw ConnectError(name, std::string("phase 'connect': ") + e.what());
        }
        detail::SpawnedChild child;
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

}  // namespace tether
