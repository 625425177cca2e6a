// The `local` method: this program started again as a child on this machine,
// with no shell in between, over a socketpair.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "core/child_env.hpp"
#include "parent/start_child.hpp"
#include "tether/export.hpp"
#include "tether/router.hpp"

extern char** environ;

namespace tether::detail {

// What `via` needs to start a local context over there.
struct LocalRequest {
    std::vector<std::string> program;
    std::string name;
    std::string remote_name;
    std::int64_t connect_timeout_ms = 0;
    bool debug = false;
    std::map<std::string, std::string> env;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(program, name, remote_name, connect_timeout_ms, debug, env);
    }
};

namespace {

struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    int release() { return std::exchange(fd, -1); }
};

std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string entry(*e);
        auto eq = entry.find('=');
        if (eq != std::string::npos) {
            env[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
    }
    for (const auto& [k, v] : child_env_for(::getpid())) {
        env[k] = v;
    }
    for (const auto& [k, v] : extra) {
        env[k] = v;
    }
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [k, v] : env) {
        out.push_back(k + "=" + v);
    }
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

SpawnedChild spawn_local(const LocalOptions& options, const BootConfig& boot) {
    auto fail = [](const std::string& what) -> ConnectError {
        return ConnectError("local", "phase 'spawn': " + what + ": " + std::strerror(errno));
    };
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        throw fail("socketpair");
    }
    Fd ours(pair[0]), theirs(pair[1]);
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) {
        throw fail("pipe2");
    }
    Fd err_read(err[0]), err_write(err[1]);

    std::vector<std::string> argv = options.program;
    std::string path;
    bool search_path = true;
    if (argv.empty()) {
        path = "/proc/self/exe";
        argv.push_back(boot.remote_name);
        search_path = false;
    } else {
        path = argv.front();
    }
    std::vector<std::string> env = child_environment(options.env);
    std::vector<char*> c_argv = c_strings(argv);
    std::vector<char*> c_env = c_strings(env);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, theirs.fd, 0);
    posix_spawn_file_actions_adddup2(&actions, theirs.fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_write.fd, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) {
        sigaddset(&defaults, s);
    }
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    int rc = search_path
                 ? ::posix_spawnp(&pid, path.c_str(), &actions, &attr, c_argv.data(), c_env.data())
                 : ::posix_spawn(&pid, path.c_str(), &actions, &attr, c_argv.data(), c_env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        errno = rc;
        throw fail("cannot run " + path);
    }
    return SpawnedChild{pid, ours.release(), err_read.release()};
}

LocalRequest to_request(const LocalOptions& o) {
    return LocalRequest{o.program, o.name, o.remote_name, o.connect_timeout.count(),
                        o.debug,   o.env};
}

LocalOptions to_options(const LocalRequest& r) {
    LocalOptions o;
    o.program = r.program;
    o.name = r.name;
    o.remote_name = r.remote_name;
    o.connect_timeout = std::chrono::milliseconds(r.connect_timeout_ms);
    o.debug = r.debug;
    o.env = r.env;
    return o;
}

}  // namespace

// Runs inside `via`: starts the local context there. Returns its handle,
// which decodes in the caller as a Context routed through `via`.
Context start_local_via(CallContext& cc, LocalRequest request) {
    return cc.router().local(to_options(request));
}

}  // namespace tether::detail

TETHER_EXPORT(tether::detail::start_local_via);

namespace tether {

Context Router::local(LocalOptions options) {
    if (options.via) {
        Context via = *options.via;
        // The far side enforces the connect timeout; this wait only guards
        // against `via` itself going silent.
        auto reply = via.call_async(detail::start_local_via, detail::to_request(options));
        try {
            return reply.get(options.connect_timeout + std::chrono::seconds(5));
        } catch (const CallError& e) {
            detail::rethrow_via_failure(via, "local", e);
        }
    }
    detail::ChildSpec spec{"local", options.name, options.remote_name, options.connect_timeout,
                           options.debug};
    return detail::start_child(core(), spec, [&options](const detail::BootConfig& boot) {
        return detail::spawn_local(options, boot);
    });
}

}  // namespace tether
