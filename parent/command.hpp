// Running a command whose stdio is connected to this process: the one way
// every method starts its first process (local runs the program itself;
// sudo, su, ssh-by-command run the bootstrap shell). Internal.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "parent/connection.hpp"

namespace tether::detail {

// How the command's stdio is wired.
enum class Terminal {
    // stdin and stdout: one end of a socketpair; stderr: a pipe.
    none,
    // stdin and stdout: a socketpair; stderr and the controlling terminal: a
    // pseudo-terminal. For sudo: it prompts on the terminal, data stays on the
    // socket. SpawnedChild::stderr_fd is the terminal's master side.
    stderr_tty,
    // stdin, stdout, stderr and the controlling terminal: one pseudo-terminal
    // in raw mode. For su, which reads the password from its stdin.
    // SpawnedChild::protocol_fd is the terminal's master side.
    full,
};

struct Command {
    std::vector<std::string> argv;  // argv[0] is looked up in PATH unless `path` is set
    std::string path;               // set: run this file, whatever argv[0] says
    std::vector<std::string> env;   // KEY=VALUE: the whole environment
    Terminal terminal = Terminal::none;
};

// A name placed on a command line (a user, a group): refused with
// ConnectError(name, "<method>: invalid <what> '<value>'") if it is empty,
// could pass for an option, or holds a blank or a '/'.
void check_command_word(const std::string& method, const std::string& what,
                        const std::string& value, const std::string& name);

// Throws ConnectError(name, "phase 'spawn': ...").
SpawnedChild spawn_command(const Command& command, const std::string& name);

// This process's environment, with `extra` added or replacing.
std::vector<std::string> environment_with(const std::map<std::string, std::string>& extra);

}  // namespace tether::detail
