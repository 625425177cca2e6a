#include "parent/command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

extern char** environ;

namespace tether::detail {
namespace {

struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(Fd&& other) noexcept : fd(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        reset(other.release());
        return *this;
    }
    ~Fd() { reset(-1); }
    void reset(int f) {
        if (fd >= 0) {
            ::close(fd);
        }
        fd = f;
    }
    int release() { return std::exchange(fd, -1); }
};

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

struct Pty {
    Fd master;
    Fd slave;  // kept open here until the command has started
    std::string slave_path;
};

// A pseudo-terminal in raw mode: no echo (a password typed into it is never
// shown back), no line editing, no CR/LF translation (binary data passes
// unchanged), no signals from control characters.
Pty open_pty() {
    Pty pty;
    pty.master.fd = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    char path[128];
    if (pty.master.fd < 0 || ::grantpt(pty.master.fd) != 0 || ::unlockpt(pty.master.fd) != 0 ||
        ::ptsname_r(pty.master.fd, path, sizeof path) != 0) {
        throw std::runtime_error(std::string("cannot create a pseudo-terminal: ") +
                                 std::strerror(errno) +
                                 " (the maximum number of pseudo-terminals may be reached)");
    }
    pty.slave_path = path;
    pty.slave.fd = ::open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    termios mode{};
    if (pty.slave.fd < 0 || ::tcgetattr(pty.slave.fd, &mode) != 0) {
        throw std::runtime_error("cannot open " + pty.slave_path + ": " + std::strerror(errno));
    }
    ::cfmakeraw(&mode);
    if (::tcsetattr(pty.slave.fd, TCSANOW, &mode) != 0) {
        throw std::runtime_error("cannot set " + pty.slave_path +
                                 " to raw mode: " + std::strerror(errno));
    }
    return pty;
}

class SpawnAttributes {
  public:
    explicit SpawnAttributes(bool new_session) {
        posix_spawnattr_init(&attr_);
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) {
            sigaddset(&defaults, s);
        }
        posix_spawnattr_setsigmask(&attr_, &none);
        posix_spawnattr_setsigdefault(&attr_, &defaults);
        short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
        if (new_session) {
            // Applied before the file actions: the terminal opened by them
            // becomes the new session's controlling terminal.
            flags |= POSIX_SPAWN_SETSID;
        }
        posix_spawnattr_setflags(&attr_, flags);
    }
    ~SpawnAttributes() { posix_spawnattr_destroy(&attr_); }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;
    posix_spawnattr_t* get() { return &attr_; }

  private:
    posix_spawnattr_t attr_;
};

class FileActions {
  public:
    FileActions() { posix_spawn_file_actions_init(&actions_); }
    ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;
    void dup2(int from, int to) { posix_spawn_file_actions_adddup2(&actions_, from, to); }
    void open(int fd, const std::string& path) {
        posix_spawn_file_actions_addopen(&actions_, fd, path.c_str(), O_RDWR, 0);
    }
    void close_from(int fd) { posix_spawn_file_actions_addclosefrom_np(&actions_, fd); }
    posix_spawn_file_actions_t* get() { return &actions_; }

  private:
    posix_spawn_file_actions_t actions_;
};

}  // namespace

std::vector<std::string> environment_with(const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string entry(*e);
        auto eq = entry.find('=');
        if (eq != std::string::npos) {
            env[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
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

void check_command_word(const std::string& method, const std::string& what,
                        const std::string& value, const std::string& name) {
    if (value.empty() || value[0] == '-' || value.find_first_of(" \t\n/") != std::string::npos) {
        throw ConnectError(name, method + ": invalid " + what + " '" + value + "'");
    }
}

SpawnedChild spawn_command(const Command& command, const std::string& name) {
    auto fail = [&name](const std::string& what) {
        return ConnectError(name, "phase 'spawn': " + what);
    };
    auto os_error = [](const std::string& what) { return what + ": " + std::strerror(errno); };
    if (command.argv.empty()) {
        throw fail("empty command");
    }
    Fd ours, theirs, err_read, err_write;
    Pty pty;
    try {
        if (command.terminal == Terminal::full) {
            pty = open_pty();
        } else {
            int pair[2];
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
                throw std::runtime_error(os_error("socketpair"));
            }
            ours.fd = pair[0];
            theirs.fd = pair[1];
            if (command.terminal == Terminal::stderr_tty) {
                pty = open_pty();
            } else {
                int err[2];
                if (::pipe2(err, O_CLOEXEC) != 0) {
                    throw std::runtime_error(os_error("pipe2"));
                }
                err_read.fd = err[0];
                err_write.fd = err[1];
            }
        }
    } catch (const std::runtime_error& e) {
        throw fail(e.what());
    }

    FileActions actions;
    switch (command.terminal) {
        case Terminal::none:
            actions.dup2(theirs.fd, 0);
            actions.dup2(theirs.fd, 1);
            actions.dup2(err_write.fd, 2);
            break;
        case Terminal::stderr_tty:
            actions.open(2, pty.slave_path);
            actions.dup2(theirs.fd, 0);
            actions.dup2(theirs.fd, 1);
            break;
        case Terminal::full:
            actions.open(0, pty.slave_path);
            actions.dup2(0, 1);
            actions.dup2(0, 2);
            break;
    }
    actions.close_from(3);
    SpawnAttributes attributes(command.terminal != Terminal::none);

    std::vector<std::string> argv = command.argv;
    std::vector<std::string> env = command.env;
    std::vector<char*> c_argv = c_strings(argv);
    std::vector<char*> c_env = c_strings(env);
    pid_t pid = -1;
    const std::string& file = command.path.empty() ? command.argv.front() : command.path;
    int rc = command.path.empty() ? ::posix_spawnp(&pid, file.c_str(), actions.get(),
                                                   attributes.get(), c_argv.data(), c_env.data())
                                  : ::posix_spawn(&pid, file.c_str(), actions.get(),
                                                  attributes.get(), c_argv.data(), c_env.data());
    if (rc != 0) {
        errno = rc;
        throw fail(os_error("cannot run " + file));
    }
    if (command.terminal == Terminal::full) {
        return SpawnedChild{.pid = pid, .protocol_fd = pty.master.release(), .stderr_fd = -1};
    }
    if (command.terminal == Terminal::stderr_tty) {
        return SpawnedChild{
            .pid = pid, .protocol_fd = ours.release(), .stderr_fd = pty.master.release()};
    }
    return SpawnedChild{.pid = pid, .protocol_fd = ours.release(), .stderr_fd = err_read.release()};
}

}  // namespace tether::detail
