// Starting a direct child, shared by every method: allocate its id, build its
// configuration and name, run the transport's spawn on the broker thread (so
// PR_SET_PDEATHSIG ties the child to a thread that lives as long as the
// router), and wait for the handshake. And starting one *via* another context,
// by calling there the same factory. Internal.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/account.hpp"
#include "core/router_core.hpp"
#include "parent/command.hpp"
#include "parent/connection.hpp"
#include "tether/context.hpp"

namespace tether::detail {

struct ChildSpec {
    std::string method;       // "local", "sudo", ...: the default name's first part
    std::string name;         // empty: <method>.<pid>
    std::string remote_name;  // empty: tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout{30000};
    bool debug = false;
};

// Runs on the broker thread; throws ConnectError("... phase 'spawn' ...").
using Spawn = std::function<SpawnedChild(const BootConfig& boot)>;

// Blocks until the child is connected. Throws ConnectError.
Context start_child(RouterCore& core, const ChildSpec& spec, const Spawn& spawn);

// For the methods that run the shell bootstrap (sudo, su, ...): runs
// `command` (its argv already ends with the plan's bootstrap), with this
// process's environment, and answers its prompts through `dialog` (on the
// stream under a full terminal, else on stderr). Blocks like start_child.
Context start_bootstrapped(RouterCore& core, const ChildSpec& spec, Command command,
                           BootstrapPlan plan, std::shared_ptr<PasswordDialog> dialog);

// The default remote name: tether:<user>@<host>:<pid>.
std::string default_remote_name();

// Rethrows a failure to start a context inside `via` as a ConnectError here.
[[noreturn]] void rethrow_via_failure(const Context& via, const std::string& method,
                                      const CallError& error);

}  // namespace tether::detail
