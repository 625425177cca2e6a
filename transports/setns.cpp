// The `setns` method: this program inside the namespaces of a running
// process (mount, UTS, IPC, network, PID, and its root directory), or inside
// a named network namespace, through util-linux nsenter and the shell
// bootstrap. Needs root (CAP_SYS_ADMIN), here or in `via`.
//
// Why nsenter rather than setns(2) here: a process with threads (the master
// always has its broker thread) cannot join a mount namespace, and joining a
// PID namespace only moves the children made afterwards, so the calls must
// run in a fresh single-threaded process between fork and exec, followed by
// one more fork. Our spawn is posix_spawn, which has no such hook; nsenter
// does exactly that sequence, is part of util-linux (installed wherever
// `ip netns` and `unshare` are), and its errors ("nsenter: cannot open
// /proc/9999/ns/ipc: No such file or directory") reach the ConnectError.
#include <fstream>
#include <sstream>

#include "parent/method_impl.hpp"
#include "transports/tool_exec.hpp"

namespace tether::detail {

namespace {

struct PasswdEntry {
    std::string uid, gid, home;
};

// `username` in the passwd file of the target's root: getpwnam would read
// this machine's, which a container does not share.
PasswdEntry find_user(const std::string& passwd, const std::string& username,
                      const std::string& name) {
    std::ifstream in(passwd);
    if (!in) {
        throw ConnectError(name, "setns: cannot read " + passwd);
    }
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::istringstream split(line);
        for (std::string f; std::getline(split, f, ':');) {
            fields.push_back(f);
        }
        if (fields.size() >= 6 && fields[0] == username) {
            return {fields[2], fields[3], fields[5]};
        }
    }
    throw ConnectError(name, "setns: no user '" + username + "' in " + passwd);
}

}  // namespace

template <>
struct Method<SetnsOptions> {
    static constexpr const char* kind = "setns";

    static std::string default_name(const SetnsOptions& options) {
        return options.pid > 0 ? "setns.pid." + std::to_string(options.pid)
                               : "setns.net." + options.net;
    }

    static Context start_here(Router& router, SetnsOptions& options, const std::string& name) {
        if ((options.pid > 0) == !options.net.empty() || options.pid < 0) {
            throw ConnectError(name, "setns: give exactly one of pid (> 0) and net");
        }
        std::vector<std::string> tool{options.nsenter_path};
        std::string root;  // the target's root directory, as seen from here
        if (options.pid > 0) {
            std::string pid = std::to_string(options.pid);
            tool.insert(tool.end(),
                        {"--target", pid, "--mount", "--uts", "--ipc", "--net", "--pid", "--root"});
            root = "/proc/" + pid + "/root";
        } else {
            check_command_word(kind, "network namespace", options.net, name);
            if (options.net == "." || options.net == "..") {
                throw ConnectError(name, "setns: invalid network namespace '" + options.net + "'");
            }
            tool.push_back("--net=/run/netns/" + options.net);
        }
        SetnsOptions effective = options;
        if (!options.username.empty()) {
            check_command_word(kind, "username", options.username, name);
            PasswdEntry user = find_user(root + "/etc/passwd", options.username, name);
            // nsenter also drops the supplementary groups with --setgid.
            tool.insert(tool.end(), {"--setgid", user.gid, "--setuid", user.uid});
            for (const char* key : {"USER", "LOGNAME"}) {
                effective.env.emplace(key, options.username);
            }
            effective.env.emplace("HOME", user.home);
        }
        tool.push_back("--");
        return start_through_tool(router, kind, effective, name, std::move(tool));
    }
};

}  // namespace tether::detail

TETHER_METHOD(tether::SetnsOptions);

namespace tether {

Context Router::setns(SetnsOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
