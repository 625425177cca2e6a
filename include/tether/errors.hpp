// The exceptions tether throws. All derive from tether::Error, and each
// type says what the caller can do next: CallError (the remote function
// threw; the context is fine), ChannelError (the context is gone or
// unreachable), TimeoutError (a wait ran out; try again or give up),
// ConnectError (a context could not be started), SelectError (nothing left
// to wait for). Values: copyable, any thread.
#pragma once

#include <stdexcept>
#include <string>

namespace tether {

class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The remote function threw. `type_name()` is the demangled type of what
// was thrown (also for throws that are not std::exception), `backtrace()`
// the throw site's stack where it could be captured (may be empty).
class CallError : public Error {
  public:
    CallError(std::string type_name, std::string message, std::string context_name,
              std::string backtrace);

    const std::string& type_name() const noexcept { return type_name_; }
    const std::string& message() const noexcept { return message_; }
    const std::string& context_name() const noexcept { return context_name_; }
    const std::string& backtrace() const noexcept { return backtrace_; }

  private:
    std::string type_name_;
    std::string message_;
    std::string context_name_;
    std::string backtrace_;
};

// The context was lost, or the destination is unknown: `reason()` says which
// ("no route to 7", "invalid handle", "message too large (max N bytes)",
// "context local.12 disconnected: exited with status 1", ...).
class ChannelError : public Error {
  public:
    ChannelError(std::string context_name, std::string reason);

    const std::string& context_name() const noexcept { return context_name_; }
    const std::string& reason() const noexcept { return reason_; }

  private:
    std::string context_name_;
    std::string reason_;
};

class TimeoutError : public Error {
  public:
    explicit TimeoutError(const std::string& what = "tether: timed out");
};

// A context could not be started. `reason()` names the phase that failed;
// `diagnostics()` holds the last lines the child or transport printed.
class ConnectError : public Error {
  public:
    ConnectError(std::string context_name, std::string reason, std::string diagnostics = {});

    const std::string& context_name() const noexcept { return context_name_; }
    const std::string& reason() const noexcept { return reason_; }
    const std::string& diagnostics() const noexcept { return diagnostics_; }

  private:
    std::string context_name_;
    std::string reason_;
    std::string diagnostics_;
};

class SelectError : public Error {
  public:
    explicit SelectError(const std::string& what = "tether: get() on an empty Select");
};

}  // namespace tether
