// How a parent tells the program it starts that it is a child: environment
// variables, removed again at once so that programs the child starts in turn
// do not mistake themselves for tether children. Internal.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace tether::detail {

inline constexpr const char* kChildEnv = "TETHER_CHILD";
inline constexpr const char* kParentPidEnv = "TETHER_PARENT_PID";
// Set by the shell bootstrap: the line the program prints once it runs.
inline constexpr const char* kBootMarkerEnv = "TETHER_BOOT_MARKER";

struct ChildEnv {
    bool is_child = false;
    pid_t parent_pid = 0;  // 0: unknown (started through sudo, ssh, ...)
};

// Reads and removes the variables.
ChildEnv take_child_env();

// The variables a parent adds to a child's environment.
std::vector<std::pair<std::string, std::string>> child_env_for(pid_t parent_pid);

}  // namespace tether::detail
