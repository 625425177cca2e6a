#include "core/child_env.hpp"

#include <cstdlib>
#include <string>

namespace tether::detail {

ChildEnv take_child_env() {
    ChildEnv env;
    const char* mode = std::getenv(kChildEnv);
    if (mode == nullptr || std::string(mode) != "1") {
        return env;
    }
    env.is_child = true;
    if (const char* pid = std::getenv(kParentPidEnv)) {
        env.parent_pid = static_cast<pid_t>(std::atol(pid));
    }
    ::unsetenv(kChildEnv);
    ::unsetenv(kParentPidEnv);
    return env;
}

std::vector<std::pair<std::string, std::string>> child_env_for(pid_t parent_pid) {
    return {{kChildEnv, "1"}, {kParentPidEnv, std::to_string(parent_pid)}};
}

}  // namespace tether::detail
