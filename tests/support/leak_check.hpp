// After every test: no leaked threads, file descriptors or child processes
// (alive or zombie). A leak fails the run with what leaked.
#pragma once

#include <sys/types.h>
#include <set>
#include <string>
#include <vector>

namespace tt {

struct ProcessSnapshot {
    std::set<int> fds;
    int threads = 0;
};

ProcessSnapshot snapshot();
// Children of this process (pid, state letter, command), zombies included.
std::vector<std::string> child_processes();
// Whether `pid` is alive (not counting a zombie).
bool process_alive(pid_t pid);

// Installs the listener that checks every test. Call once from main.
void install_leak_check();

}  // namespace tt
