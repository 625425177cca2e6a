// How a process ended, in the words ChannelError and ConnectError use
// (shared/API.md): "exited with status 3", "killed by signal 11 (SIGSEGV)".
#pragma once

#include <string>
#include <string_view>

namespace tether::detail {

// "11 (SIGSEGV)"; a number the C library cannot name stays a number.
std::string describe_signal(int signal);
// The status waitpid() gave: "exited with status 3", "killed by signal 11 (SIGSEGV)".
std::string describe_wait_status(int status);
// The signal an SSH server names without its "SIG" ("SEGV"): its number
// here, or 0 when this system has no such signal.
int signal_by_name(std::string_view name);

}  // namespace tether::detail
