// Running one piece of work per target, a bounded number at a time, and what
// became of each: the summary and the tool's exit status.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tools/target.hpp"

namespace tether::cli {

enum class Status { ok, failed, unreachable, interrupted };

struct Outcome {
    Status status = Status::ok;
    std::optional<int> exit_code = {};  // exec: how the command ended
    int signal = 0;                     // exec: the signal that killed it
    std::string error = {};             // failed/unreachable: one line saying why
    double seconds = 0;
};

const char* status_name(Status status);

// Why a target could not be reached: a ConnectError's reason, or what().
std::string connect_failure(const std::exception& e);

// Calls work(i) for every i < count on worker threads, at most `forks` at
// once, and returns when all are done. `work` must not throw.
void for_each_target(std::size_t count, std::size_t forks,
                     const std::function<void(std::size_t)>& work);

// One line per target (name, status, exit code or error, time) and a count.
std::string summary(const std::vector<Target>& targets, const std::vector<Outcome>& outcomes);

// 130 if interrupted, else 4 if any target was unreachable, else 1 if any
// failed, else 0. (2, a usage error, is decided before anything runs.)
int exit_status(const std::vector<Outcome>& outcomes);

}  // namespace tether::cli
