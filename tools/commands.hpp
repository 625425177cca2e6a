// The tool's commands. Each runs against resolved targets and returns the
// process exit status.
#pragma once

#include <vector>

#include "tools/command_line.hpp"
#include "tools/connector.hpp"
#include "tools/target.hpp"

namespace tether::cli {

struct Run {
    const CommandLine& line;
    std::vector<Target> targets = {};
    Connector& connector;
    std::vector<std::string> destinations = {};  // copy: one path per target
};

int run_exec(Run& run);
int run_ping(Run& run);
int run_copy(Run& run);
int run_tree(Run& run);

// Whether to draw the progress line: stderr is a terminal and more than a
// few targets are in flight.
bool show_progress(std::size_t targets, std::size_t forks);

}  // namespace tether::cli
