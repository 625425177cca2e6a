#include "core/fork_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/child_env.hpp"
#include "core/fd_passing.hpp"
#include "core/fork_wire.hpp"

namespace tether::detail {
namespace {

[[noreturn]] void die(const std::string& why) {
    std::string line = "tether fork server: " + why + "\n";
    [[maybe_unused]] ssize_t ignored = ::write(2, line.data(), line.size());
    _exit(2);
}

bool send_report(int control, const ForkReport& report, int fd = -1) {
    iovec part{const_cast<ForkReport*>(&report), sizeof report};
    std::span<const int> fds = fd >= 0 ? std::span<const int>(&fd, 1) : std::span<const int>();
    return send_with_fds(control, {&part, 1}, fds) == static_cast<ssize_t>(sizeof report);
}

// A fork request as it arrived: the bytes, and the child's stream and
// stderr beside them.
struct Request {
    std::vector<char> bytes;
    std::vector<int> fds;
    ForkRequest header;
    const char* env() const { return bytes.data() + sizeof header; }
    void close_fds() {
        for (int fd : fds) {
            ::close(fd);
        }
        fds.clear();
    }
};

enum class Received { request, nothing, nonsense, closed };

// One request from `socket`: the control socket (MSG_DONTWAIT) or a ready
// child's (blocking). A nonsense request's fds are closed.
Received receive(int socket, int flags, Request& r) {
    r.bytes.resize(sizeof(ForkRequest) + kMaxForkRequest);
    bool truncated = false;
    ssize_t n = receive_with_fds(socket, r.bytes.data(), r.bytes.size(), flags, r.fds, truncated);
    if (n < 0 && errno == EAGAIN) {
        return Received::nothing;
    }
    if (n <= 0) {
        return Received::closed;
    }
    bool valid = static_cast<std::size_t>(n) >= sizeof r.header && !truncated;
    if (valid) {
        std::memcpy(&r.header, r.bytes.data(), sizeof r.header);
        std::size_t env_size = static_cast<std::size_t>(n) - sizeof r.header;
        valid = r.header.op == ForkOp::fork
                    ? r.fds.size() == 2 && r.header.env_size == env_size
                    : r.header.op == ForkOp::prepare && r.fds.empty() && env_size == 0;
    }
    if (!valid) {
        r.close_fds();
        return Received::nonsense;
    }
    r.bytes.resize(static_cast<std::size_t>(n));
    return Received::request;
}

// Passes a request on to a ready child, fds and all.
bool pass_on(int socket, const Request& r) {
    iovec part{const_cast<char*>(r.bytes.data()), r.bytes.size()};
    return send_with_fds(socket, {&part, 1}, r.fds) == static_cast<ssize_t>(r.bytes.size());
}

// What a ready child does while it waits, so that the child it becomes does
// not: the child path's first step, a broker with its thread.
std::unique_ptr<Broker>& ready_broker() {
    static std::unique_ptr<Broker> broker;
    return broker;
}

class Server {
  public:
    explicit Server(int control) : control_(control) {}

    // Returns in a forked child only.
    void run() {
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        ::sigprocmask(SIG_BLOCK, &chld, &old_mask_);
        signals_ = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
        if (signals_ < 0) {
            die(std::string("signalfd: ") + std::strerror(errno));
        }
        for (;;) {
            if (want_ready_ && ready_pid_ < 0) {
                want_ready_ = false;
                if (make_ready_child()) {
                    return;  // the ready child, now a child
                }
            }
            pollfd fds[2] = {{control_, POLLIN, 0}, {signals_, POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                die(std::string("poll: ") + std::strerror(errno));
            }
            if (fds[1].revents != 0) {
                reap();
            }
            if (fds[0].revents != 0 && serve_one()) {
                return;  // the forked child
            }
        }
    }

  private:
    void reap() {
        signalfd_siginfo info;
        while (::read(signals_, &info, sizeof info) == sizeof info) {
        }
        int status = 0;
        pid_t pid;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == ready_pid_) {
                forget_ready_child();
                continue;
            }
            if (!send_report(control_, ForkReport{ForkOp::exited, 0, pid, status})) {
                parent_gone();
            }
        }
    }

    // The parent closed its end or died: the children go with this process
    // (their PR_SET_PDEATHSIG), which exits at once.
    [[noreturn]] void parent_gone() { _exit(0); }

    // Forks the next request's child ahead of it (its fork, its first
    // scheduling and its broker are then off the critical path). True in
    // that child once a request made it one. When no ready child can be
    // made, requests fork on demand.
    bool make_ready_child() {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
            return false;
        }
        pid_t pid = ::fork();
        if (pid < 0) {
            ::close(pair[0]);
            ::close(pair[1]);
            return false;
        }
        if (pid == 0) {
            ::close(pair[0]);
            ::close(control_);
            ::close(signals_);
            control_ = signals_ = -1;  // the fds a request brings may take these numbers
            ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
            // Die with the server, as a child does.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != server_pid_) {
                _exit(0);
            }
            ready_broker() = std::make_unique<Broker>();
            Request request;
            Received got;
            do {
                got = receive(pair[1], 0, request);
            } while (got == Received::nothing);
            if (got != Received::request || request.header.op != ForkOp::fork) {
                _exit(0);  // the server withdrew it
            }
            ::close(pair[1]);
            become_child(request);
            return true;
        }
        ::close(pair[1]);
        ready_pid_ = pid;
        ready_socket_ = pair[0];
        return false;
    }

    // True in the forked child.
    bool serve_one() {
        Request request;
        switch (receive(control_, MSG_DONTWAIT, request)) {
            case Received::request:
                if (request.header.op == ForkOp::prepare) {
                    want_ready_ = true;
                    return false;
                }
                break;
            case Received::nothing:
                return false;
            case Received::closed:
                parent_gone();
            case Received::nonsense:
                // Only a parent speaks here; nonsense from it is a bug, said once.
                if (!send_report(control_, ForkReport{ForkOp::failed, 0, 0, EPROTO})) {
                    parent_gone();
                }
                return false;
        }
        if (ready_socket_ >= 0 && ready_child_alive()) {
            // The parent learns the pid first: it sends the boot
            // configuration while the request is still on its way (and the
            // ready child's wake-up cannot delay the answer).
            pid_t pid = ready_pid_;
            ready_pid_ = -1;  // reported from here on: its exit too
            report_forked(request.header.id, pid);
            if (!pass_on(ready_socket_, request)) {
                ::kill(pid, SIGKILL);  // killed just now: its exit says so
            }
            ::close(ready_socket_);
            ready_socket_ = -1;
            request.close_fds();
            return false;
        }
        pid_t pid = ::fork();
        if (pid == 0) {
            become_child(request);
            return true;
        }
        int fork_errno = errno;
        request.close_fds();
        if (pid < 0) {
            if (!send_report(control_,
                             ForkReport{ForkOp::failed, request.header.id, 0, fork_errno})) {
                parent_gone();
            }
            return false;
        }
        report_forked(request.header.id, pid);
        return false;
    }

    // Whether the ready child still waits. One that died (killed while it
    // waited, not yet reaped) is reaped and forgotten here, so that the
    // request is forked on demand rather than answered with a dead pid.
    bool ready_child_alive() {
        int status = 0;
        if (::waitpid(ready_pid_, &status, WNOHANG) != ready_pid_) {
            return true;
        }
        forget_ready_child();
        return false;
    }

    // The ready child died while it waited (and is reaped): nobody knows
    // it, and another is made.
    void forget_ready_child() {
        if (ready_socket_ >= 0) {
            ::close(ready_socket_);
        }
        ready_socket_ = -1;
        ready_pid_ = -1;
        want_ready_ = true;
    }

    void report_forked(std::uint32_t id, pid_t pid) {
        // Opened while the child cannot have been reaped (only this thread
        // reaps), so it names that process and no later one.
        int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
        bool sent = send_report(control_, ForkReport{ForkOp::forked, id, pid, 0}, pidfd);
        if (pidfd >= 0) {
            ::close(pidfd);
        }
        if (!sent) {
            parent_gone();
        }
    }

    void become_child(Request& request) {
        ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
        for (int fd : {control_, signals_, ready_socket_}) {
            if (fd >= 0) {
                ::close(fd);
            }
        }
        int stream = request.fds[0];
        int err = request.fds[1];
        if (::dup2(stream, 0) < 0 || ::dup2(stream, 1) < 0 || ::dup2(err, 2) < 0) {
            _exit(2);
        }
        request.close_fds();
        const char* env = request.env();
        for (const char* p = env; p < env + request.header.env_size;) {
            std::string entry(p);
            p += entry.size() + 1;
            auto eq = entry.find('=');
            if (eq != std::string::npos) {
                ::setenv(entry.substr(0, eq).c_str(), entry.substr(eq + 1).c_str(), 1);
            }
        }
        for (const auto& [key, value] : child_env_for(server_pid_)) {
            ::setenv(key.c_str(), value.c_str(), 1);
        }
    }

    int control_;
    int signals_ = -1;
    sigset_t old_mask_{};
    pid_t server_pid_ = ::getpid();
    // One is made at the start, and after each start the parent finishes
    // (not at once when one is taken: its fork and warm-up would compete
    // for the CPUs with the start that took it).
    bool want_ready_ = true;
    pid_t ready_pid_ = -1;   // the ready child; -1: none
    int ready_socket_ = -1;  // the server's end of its socketpair
};

}  // namespace

std::unique_ptr<Broker> take_ready_broker() {
    return std::move(ready_broker());
}

void serve_if_fork_server() {
    const char* mode = std::getenv(kChildEnv);
    if (mode == nullptr || std::strcmp(mode, kForkServerMode) != 0) {
        return;
    }
    const char* parent = std::getenv(kParentPidEnv);
    pid_t parent_pid = parent ? static_cast<pid_t>(std::atol(parent)) : 0;
    ::unsetenv(kChildEnv);
    ::unsetenv(kParentPidEnv);
    if (std::getenv(kForkBindNowEnv) != nullptr) {
        ::unsetenv("LD_BIND_NOW");
        ::unsetenv(kForkBindNowEnv);
    }
    // Die with the parent, whatever kills it; and not start at all if it
    // died before this line.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (parent_pid != 0 && ::getppid() != parent_pid) {
        _exit(1);
    }
    int control = ::fcntl(0, F_DUPFD_CLOEXEC, 3);
    if (control < 0) {
        die(std::string("no control socket on fd 0: ") + std::strerror(errno));
    }
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || ::dup2(null, 0) < 0) {
        die(std::string("cannot open /dev/null: ") + std::strerror(errno));
    }
    ::close(null);
    Server(control).run();
}

}  // namespace tether::detail
