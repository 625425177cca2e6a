// Kernels without pidfd_open (Linux < 5.3: RHEL 8's 4.18) and valgrind: this
// test program runs a selection of its own tests again under
// support/no_pidfd, which makes pidfd_open fail with ENOSYS as such a kernel
// does, in it and in every context it starts. Children must still be
// watched, signalled and reaped: the tests of starting, losing, killing and
// shutting down pass.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/harness.hpp"

TEST(NoPidfd, ChildrenAreWatchedSignalledAndReapedWithoutIt) {
    // Starting, calls, a child that exits early or hangs at start, every
    // kind of disconnect, shutdown escalation, SIGKILL of a master; the fork
    // method, whose fork server then sends no pidfds.
    const std::string tests =
        "--gtest_filter=Local.*:Disconnect.*:Lifecycle.*:Call.ReturnsResults:Call.AsyncAndTimeouts:"
        "Fork.*";
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::string output = tt::temp_path("no-pidfd");
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::setenv("TETHER_LOG_LEVEL", "debug", 1);
        ::execl(TT_NO_PIDFD, TT_NO_PIDFD, self.c_str(), tests.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    std::ifstream in(output);
    std::stringstream text;
    text << in.rdbuf();
    ::unlink(output.c_str());
    std::string all = text.str();
    std::string tail = all.size() > 4000 ? all.substr(all.size() - 4000) : all;
    ASSERT_TRUE(WIFEXITED(status)) << tail;
    EXPECT_EQ(WEXITSTATUS(status), 0) << tail;
    // The fallback ran (and the kernel really refused).
    EXPECT_TRUE(tt::contains(all, "no pidfd_open in this kernel")) << tail;
    EXPECT_FALSE(tt::contains(all, "pidfd_open failed")) << tail;
    EXPECT_TRUE(tt::contains(all, "[  PASSED  ]")) << tail;
    EXPECT_FALSE(tt::contains(all, "[  FAILED  ]")) << tail;
}
