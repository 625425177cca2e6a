// A child process this one started: watched through a pidfd on the broker
// thread (no SIGCHLD handler, no polling), signalled through the pidfd (no pid
// reuse race), and always reaped. Resource: shared_ptr-owned, broker thread.
#pragma once

#include <sys/types.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace tether::detail {

class BrokerImpl;

class ChildProcess : public std::enable_shared_from_this<ChildProcess> {
  public:
    // Throws tether::Error if no pidfd can be had for `pid`.
    ChildProcess(BrokerImpl& broker, pid_t pid);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Calls `on_exit` once, after the process exited and was reaped.
    void watch(std::function<void()> on_exit);
    // Sends `signal` unless the process is already reaped.
    void signal(int signal);
    // SIGKILL and a blocking reap: the last resort.
    void kill_and_reap();

    pid_t pid() const noexcept { return pid_; }
    bool exited() const noexcept { return status_.has_value(); }
    // "exited with status 3", "killed by signal 9 (Killed)", or "running".
    std::string describe_status() const;

  private:
    bool try_reap();

    pid_t pid_;
    boost::asio::posix::stream_descriptor pidfd_;
    std::optional<int> status_;
};

}  // namespace tether::detail
