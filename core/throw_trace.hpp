// Backtraces of the throw site. While a call runs, every throw on that thread
// records the stack it was thrown from (the catch site has lost it by then).
// Implemented by wrapping the C++ runtime's __cxa_throw. Internal.
#pragma once

#include <string>

namespace tether::detail {

// Turns recording on for this thread for the scope's lifetime.
class ThrowTraceScope {
  public:
    ThrowTraceScope();
    ~ThrowTraceScope();
    ThrowTraceScope(const ThrowTraceScope&) = delete;
    ThrowTraceScope& operator=(const ThrowTraceScope&) = delete;
};

// The stack of the most recent throw on this thread while recording, one
// frame a line, demangled where symbols allow; empty if none was recorded.
std::string last_throw_trace();

// Called by the __cxa_throw wrapper (core/cxa_throw.cpp) on every throw.
void record_throw() noexcept;

}  // namespace tether::detail
