#include "support/helper_master.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>

extern char** environ;

namespace tt {

HelperMaster::HelperMaster(const std::string& test) {
    int out[2], in[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(in, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe2 failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::string exe = "/proc/self/exe";
    std::string filter = "--gtest_filter=" + test;
    std::string disabled = "--gtest_also_run_disabled_tests";
    char* argv[] = {exe.data(), filter.data(), disabled.data(), nullptr};
    int rc = ::posix_spawn(&pid_, exe.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(in[0]);
    out_ = out[0];
    in_ = in[1];
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error("cannot start the helper master");
    }
}

HelperMaster::~HelperMaster() {
    kill();
    ::close(out_);
    ::close(in_);
}

std::vector<int> HelperMaster::pids() {
    char buf[4096];
    while (output_.find("PIDS ") == std::string::npos ||
           output_.find('\n', output_.find("PIDS ")) == std::string::npos) {
        ssize_t n = ::read(out_, buf, sizeof buf);
        if (n <= 0) {
            return {};
        }
        output_.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t at = output_.find("PIDS ") + 5;
    std::istringstream line(output_.substr(at, output_.find('\n', at) - at));
    std::vector<int> pids;
    for (int pid; line >> pid;) {
        pids.push_back(pid);
    }
    return pids;
}

void HelperMaster::kill() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
}

}  // namespace tt
