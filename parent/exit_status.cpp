#include "parent/exit_status.hpp"

#include <sys/wait.h>

#include <csignal>
#include <cstring>

namespace tether::detail {

std::string describe_signal(int signal) {
    const char* abbreviation = ::sigabbrev_np(signal);  // "SEGV", or null
    std::string text = std::to_string(signal);
    if (abbreviation != nullptr) {
        text += std::string(" (SIG") + abbreviation + ")";
    }
    return text;
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return "killed by signal " + describe_signal(WTERMSIG(status));
    }
    return "ended with wait status " + std::to_string(status);
}

int signal_by_name(std::string_view name) {
    for (int signal = 1; signal < NSIG; ++signal) {
        const char* abbreviation = ::sigabbrev_np(signal);
        if (abbreviation != nullptr && name == abbreviation) {
            return signal;
        }
    }
    return 0;
}

}  // namespace tether::detail
