// Namespaces a setns test enters, made by the test. Resources: each
// constructor makes its namespace (and undoes what it made if a later step
// fails); each destructor removes it. Need root.
#pragma once

#include <sys/types.h>

#include <string>

namespace tt {

// `ip netns add <name>` with a veth pair, `link` and `peer`, inside (the
// kernel here has no dummy interfaces); removed with them by `ip netns
// delete`.
class NamedNetns {
  public:
    // Throws std::runtime_error naming the command that failed.
    NamedNetns(std::string name, std::string link, std::string peer);
    ~NamedNetns();
    NamedNetns(const NamedNetns&) = delete;
    NamedNetns& operator=(const NamedNetns&) = delete;

  private:
    std::string name_;
};

// A process in new PID, mount (with its own /proc), UTS, IPC and network
// namespaces, with hostname `hostname`: `unshare --fork --pid --mount-proc
// --uts --ipc --net --kill-child`, whose child sets the hostname, says so
// on a pipe and sleeps. Killed and reaped by the destructor (unshare kills
// its child, pid 1 there, which ends the namespace).
class UnsharedProcess {
  public:
    // Blocks until the hostname is set. Throws std::runtime_error.
    explicit UnsharedProcess(const std::string& hostname);
    ~UnsharedProcess();
    UnsharedProcess(const UnsharedProcess&) = delete;
    UnsharedProcess& operator=(const UnsharedProcess&) = delete;

    // The process inside the namespaces (as this machine numbers it).
    pid_t inner_pid() const { return inner_; }

  private:
    void stop() noexcept;

    pid_t unshare_ = -1;
    pid_t inner_ = -1;
};

}  // namespace tt
