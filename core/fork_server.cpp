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
#include <string>
#include <vector>

#include "core/child_env.hpp"
#include "core/fork_wire.hpp"

namespace tether::detail {
namespace {

[[noreturn]] void die(const std::string& why) {
    std::string line = "tether fork server: " + why + "\n";
    [[maybe_unused]] ssize_t ignored = ::write(2, line.data(), line.size());
    _exit(2);
}

bool send_report(int control, const ForkReport& report, int fd = -1) {
    iovec iov{const_cast<ForkReport*>(&report), sizeof report};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control_buf[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        msg.msg_control = control_buf;
        msg.msg_controllen = sizeof control_buf;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n;
    do {
        n = ::sendmsg(control, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(sizeof report);
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
            if (!send_report(control_, ForkReport{ForkOp::exited, 0, pid, status})) {
                parent_gone();
            }
        }
    }

    // The parent closed its end or died: the children go with this process
    // (their PR_SET_PDEATHSIG), which exits at once.
    [[noreturn]] void parent_gone() { _exit(0); }

    // True in the forked child.
    bool serve_one() {
        std::vector<char> buffer(sizeof(ForkRequest) + kMaxForkRequest);
        iovec iov{buffer.data(), buffer.size()};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) char control_buf[CMSG_SPACE(2 * sizeof(int))] = {};
        msg.msg_control = control_buf;
        msg.msg_controllen = sizeof control_buf;
        ssize_t n = ::recvmsg(control_, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            return false;
        }
        if (n <= 0) {
            parent_gone();
        }
        std::vector<int> fds;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (std::size_t i = 0; i < count; ++i) {
                    int fd;
                    std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                    fds.push_back(fd);
                }
            }
        }
        ForkRequest request;
        bool valid = static_cast<std::size_t>(n) >= sizeof request &&
                     (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0 && fds.size() == 2;
        if (valid) {
            std::memcpy(&request, buffer.data(), sizeof request);
            valid = request.op == ForkOp::fork &&
                    request.env_size == static_cast<std::size_t>(n) - sizeof request;
        }
        if (!valid) {
            for (int fd : fds) {
                ::close(fd);
            }
            // Only a parent speaks here; nonsense from it is a bug, said once.
            if (!send_report(control_, ForkReport{ForkOp::failed, request.id, 0, EPROTO})) {
                parent_gone();
            }
            return false;
        }
        pid_t pid = ::fork();
        if (pid == 0) {
            become_child(fds[0], fds[1], buffer.data() + sizeof request, request.env_size);
            return true;
        }
        int fork_errno = errno;
        ::close(fds[0]);
        ::close(fds[1]);
        bool sent;
        if (pid < 0) {
            sent = send_report(control_, ForkReport{ForkOp::failed, request.id, 0, fork_errno});
        } else {
            // Opened while the child cannot have been reaped (only this
            // thread reaps), so it names that process and no later one.
            int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
            sent = send_report(control_, ForkReport{ForkOp::forked, request.id, pid, 0}, pidfd);
            if (pidfd >= 0) {
                ::close(pidfd);
            }
        }
        if (!sent) {
            parent_gone();
        }
        return false;
    }

    void become_child(int stream, int err, const char* env, std::size_t env_size) {
        ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
        ::close(control_);
        ::close(signals_);
        if (::dup2(stream, 0) < 0 || ::dup2(stream, 1) < 0 || ::dup2(err, 2) < 0) {
            _exit(2);
        }
        ::close(stream);
        ::close(err);
        for (const char* p = env; p < env + env_size;) {
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
};

}  // namespace

void serve_if_fork_server() {
    const char* mode = std::getenv(kChildEnv);
    if (mode == nullptr || std::strcmp(mode, kForkServerMode) != 0) {
        return;
    }
    const char* parent = std::getenv(kParentPidEnv);
    pid_t parent_pid = parent ? static_cast<pid_t>(std::atol(parent)) : 0;
    ::unsetenv(kChildEnv);
    ::unsetenv(kParentPidEnv);
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
