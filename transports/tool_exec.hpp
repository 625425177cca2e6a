// What the container and namespace methods (docker, podman, lxc, kubectl,
// setns) share: each runs one command-line tool that runs a command inside
// its target, and that command is the shell bootstrap. The tool's stdin and
// stdout are the socketpair; its stderr is a pipe whose lines ("Error: No
// such container: x") are logged and end up in the ConnectError. No
// terminal: none of these tools asks for a password. Internal.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "parent/bootstrap.hpp"
#include "parent/command.hpp"
#include "parent/start_child.hpp"
#include "tether/errors.hpp"
#include "tether/router.hpp"

namespace tether::detail {

// A name the tool is given as an argument (container, image, pod, ...):
// refused with ConnectError(name, "<method>: invalid <what> '<value>'") if
// it is empty, could pass for an option, or holds a blank or a control
// character. Unlike check_command_word, '/' and ':' pass (image
// "library/debian:12").
inline void check_tool_word(const std::string& method, const std::string& what,
                            const std::string& value, const std::string& name) {
    bool ok = !value.empty() && value.front() != '-';
    for (unsigned char c : value) {
        ok = ok && c > ' ' && c != 0x7f;
    }
    if (!ok) {
        throw ConnectError(name, method + ": invalid " + what + " '" + value + "'");
    }
}

// Runs `tool` (the tool's argv up to where the command goes) followed by
// the bootstrap, and waits for the context. `Options` carries the common
// fields. Throws ConnectError.
template <class Options>
Context start_through_tool(Router& router, const char* kind, const Options& options,
                           const std::string& name, std::vector<std::string> tool) {
    BootstrapPlan plan = plan_bootstrap(options.connect_timeout, options.env);
    Command command;
    command.argv = std::move(tool);
    for (std::string& word : bootstrap_argv(plan)) {
        command.argv.push_back(std::move(word));
    }
    command.terminal = Terminal::none;
    ChildSpec spec{kind, name, options.remote_name, options.connect_timeout, options.debug};
    return start_bootstrapped(router.core(), spec, std::move(command), std::move(plan), nullptr);
}

}  // namespace tether::detail
