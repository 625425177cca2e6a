// What a Connection needs from whatever runs its child: a local process
// (ChildProcess) or a session on another machine (an SSH channel). It
// reports the end, can be asked to stop gently or at once, and describes
// itself for errors and logs. Broker thread only.
#pragma once

#include <functional>
#include <string>

namespace tether::detail {

class ChildHandle {
  public:
    struct Events {
        std::function<void()> exit;  // once, when it has ended (and was reaped)
        // Handles that do their own connecting (SSH) report its progress
        // and its failure; processes never call these.
        std::function<void(const std::string& phase)> phase = [](const std::string&) {};
        std::function<void(const std::string& reason)> fail = [](const std::string&) {};
        std::function<void(const std::string& line)> output = [](const std::string&) {};
    };

    virtual ~ChildHandle() = default;

    // Starts watching; a handle that connects by itself begins here, so that
    // no event is lost.
    virtual void watch(Events events) = 0;
    // SIGTERM: ask it to end; SIGKILL: end it now. Nothing once it ended.
    virtual void signal(int signal) = 0;
    // Ends it at once and synchronously; the last resort.
    virtual void kill_and_reap() = 0;
    virtual bool exited() const = 0;
    // "exited with status 3", "killed by signal 9 (SIGKILL)", "running", ...
    virtual std::string describe_status() const = 0;
    // "pid 1234", "ssh session to host:22": for logs and errors.
    virtual std::string describe() const = 0;
};

}  // namespace tether::detail
