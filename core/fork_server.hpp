// The fork server: this program started again by a parent (transports/fork/),
// before any thread exists in it, to fork cheap children on request. A plain
// fork() of a parent is unsafe (its broker thread, user threads and their
// locks are not copied, but what they held is); this process has one thread
// and never starts another, so a fork of it is a clean copy of a freshly
// started program that then takes the ordinary child path. Internal.
#pragma once

#include <memory>

#include "tether/broker.hpp"

namespace tether::detail {

// In a process started as a fork server: serves fork requests until the
// parent goes away (then exits the process), and returns only in each forked
// process, with fds 0 and 1 its parent stream, fd 2 its stderr pipe, and the
// environment of a child (so the child path follows). Anywhere else: returns
// at once. Call before any thread exists.
void serve_if_fork_server();

// In a child the fork server kept ready: the broker it started while it
// waited for its request, so that the child path does not start one then.
// nullptr anywhere else, and after the first call.
std::unique_ptr<Broker> take_ready_broker();

}  // namespace tether::detail
