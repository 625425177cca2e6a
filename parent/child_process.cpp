#include "parent/child_process.hpp"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

#include "core/broker_impl.hpp"
#include "core/log.hpp"
#include "parent/exit_status.hpp"
#include "tether/errors.hpp"

namespace tether::detail {
namespace {

// Straight system calls: glibc 2.36's <sys/pidfd.h> lacks C linkage for C++.
int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

int pidfd_send_signal(int pidfd, int signal) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

// How often a child's exit is polled for where there is no pidfd. Its stream
// closing usually tells first; this bounds how late the status comes.
constexpr auto kExitPoll = std::chrono::milliseconds(20);

}  // namespace

ChildProcess::ChildProcess(BrokerImpl& broker, pid_t pid)
    : pid_(pid), pidfd_(broker.io()), poll_timer_(broker.io()) {
    int fd = pidfd_open(pid);
    if (fd >= 0) {
        pidfd_.assign(fd);
    } else if (errno == ENOSYS) {
        static std::once_flag said;
        std::call_once(said, [] {
            TETHER_LOG(LogLevel::debug, "tether.process",
                       "no pidfd_open in this kernel: child exits are polled for");
        });
    } else {
        throw Error(std::string("tether: pidfd_open failed: ") + std::strerror(errno));
    }
}

ChildProcess::~ChildProcess() {
    // Whoever owned us is gone: the process must not outlive its handle as a
    // zombie or as an orphan.
    kill_and_reap();
    boost::system::error_code ignored;
    pidfd_.close(ignored);
    poll_timer_.cancel();
}

void ChildProcess::kill_and_reap() {
    if (status_) {
        return;
    }
    send(SIGKILL);
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    status_ = r == pid_ ? status : 0;
}

void ChildProcess::watch(Events events) {
    wait_for_exit(std::move(events.exit));
}

void ChildProcess::wait_for_exit(std::function<void()> on_exit) {
    if (!pidfd_.is_open()) {
        poll_for_exit(std::move(on_exit));
        return;
    }
    pidfd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [self = shared_from_this(),
                       on_exit = std::move(on_exit)](const boost::system::error_code& ec) mutable {
                          if (ec) {
                              return;
                          }
                          if (self->try_reap()) {
                              on_exit();
                          } else {
                              self->wait_for_exit(std::move(on_exit));
                          }
                      });
}

// Always from the timer, as the pidfd's wait: `on_exit` never runs inside
// watch().
void ChildProcess::poll_for_exit(std::function<void()> on_exit) {
    poll_timer_.expires_after(kExitPoll);
    poll_timer_.async_wait([self = shared_from_this(), on_exit = std::move(on_exit)](
                               const boost::system::error_code& ec) mutable {
        if (ec) {
            return;
        }
        if (self->try_reap()) {
            on_exit();
        } else {
            self->poll_for_exit(std::move(on_exit));
        }
    });
}

bool ChildProcess::try_reap() {
    if (status_) {
        return true;
    }
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) {
        status_ = status;
        return true;
    }
    if (r < 0 && errno == ECHILD) {
        status_ = 0;  // reaped elsewhere; nothing more to learn
        return true;
    }
    return false;
}

void ChildProcess::signal(int sig) {
    if (!status_) {
        send(sig);
    }
}

void ChildProcess::send(int sig) {
    if (pidfd_.is_open()) {
        pidfd_send_signal(pidfd_.native_handle(), sig);
    } else {
        ::kill(pid_, sig);  // not reaped yet: the pid is still this child's
    }
}

std::string ChildProcess::describe_status() const {
    return status_ ? describe_wait_status(*status_) : "running";
}

}  // namespace tether::detail
