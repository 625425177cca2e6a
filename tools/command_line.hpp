// The `tether` command line: global options, a command, its targets.
// Values; parse_command_line throws UsageError.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tools/connector.hpp"

namespace tether::cli {

struct CommandLine {
    std::string command;                 // exec, ping, copy, tree (empty with --help/--version)
    std::vector<std::string> targets;    // as written (copy: TARGETS:DEST arguments)
    std::vector<std::string> argv = {};  // exec: what follows "--"
    std::string source = {};             // copy: the local file
    std::string inventory = {};          // -i FILE
    ConnectSettings connect;             // without passwords
    std::size_t forks = 16;
    int verbose = 0;
    bool json = false;
    bool dot = false;
    bool ask_pass = false;
    bool ask_become_pass = false;
    int pass_fd = -1;
    int become_pass_fd = -1;
    bool help = false;
    bool version = false;
};

CommandLine parse_command_line(int argc, char** argv);

extern const char* const kUsage;

}  // namespace tether::cli
