// A child process this one started: watched through a pidfd on the broker
// thread (no SIGCHLD handler, no polling), signalled through the pidfd, and
// always reaped. Where the kernel has no pidfd_open (Linux < 5.3, RHEL 8's
// 4.18; valgrind), its exit is polled with waitpid(WNOHANG) instead and it is
// signalled by pid, which is as safe: an unreaped child's pid cannot be
// reused. Resource: shared_ptr-owned, broker thread.
#pragma once

#include <sys/types.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "parent/child_handle.hpp"

namespace tether::detail {

class BrokerImpl;

class ChildProcess final : public ChildHandle, public std::enable_shared_from_this<ChildProcess> {
  public:
    // Throws tether::Error if pidfd_open fails for another reason than its
    // absence from the kernel.
    ChildProcess(BrokerImpl& broker, pid_t pid);
    ~ChildProcess() override;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Calls `events.exit` once, after the process exited and was reaped.
    void watch(Events events) override;
    // Sends `signal` unless the process is already reaped.
    void signal(int signal) override;
    // SIGKILL and a blocking reap.
    void kill_and_reap() override;

    pid_t pid() const noexcept { return pid_; }
    bool exited() const override { return status_.has_value(); }
    std::string describe_status() const override;
    std::string describe() const override { return "pid " + std::to_string(pid_); }

  private:
    void wait_for_exit(std::function<void()> on_exit);
    void poll_for_exit(std::function<void()> on_exit);
    bool try_reap();
    void send(int signal);

    pid_t pid_;
    boost::asio::posix::stream_descriptor pidfd_;  // closed: no pidfd_open here
    boost::asio::steady_timer poll_timer_;         // without a pidfd
    std::optional<int> status_;
};

}  // namespace tether::detail
