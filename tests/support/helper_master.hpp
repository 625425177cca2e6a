// This test program run again as a separate master, on one disabled test
// that starts contexts, prints "PIDS <pid> <pid>..." and waits on stdin: the
// way a test kills a master with SIGKILL and watches what is left behind.
// Resource: one owner; the helper is killed and reaped when destroyed.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tt {

class HelperMaster {
  public:
    // `test`: the disabled test to run, e.g. "Helper.DISABLED_ChainMaster".
    explicit HelperMaster(const std::string& test);
    ~HelperMaster();
    HelperMaster(const HelperMaster&) = delete;
    HelperMaster& operator=(const HelperMaster&) = delete;

    // Reads until the helper's "PIDS" line and returns its numbers; empty if
    // the helper ended first (output() then says what it printed).
    std::vector<int> pids();
    // SIGKILL, then reap.
    void kill();
    const std::string& output() const noexcept { return output_; }

  private:
    pid_t pid_ = -1;
    int out_ = -1;  // its stdout
    int in_ = -1;   // its stdin: held open so that it waits
    std::string output_;
};

}  // namespace tt
