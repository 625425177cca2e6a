// How a lost context ended, through sudo and SSH: the signal or exit status
// of the program reaches the waiters' ChannelError as sudo (which ends
// itself the way its command ended) and sshd (exit-status, exit-signal)
// report it. The local cases are in lost_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>

#include <functional>

#include "support/functions.hpp"
#include "support/harness.hpp"
#include "support/ssh_fixture.hpp"

namespace {

class LostRemote : public tt::SshUsers {
  protected:
    // Starts a context three times and ends each one a different way.
    void expect_each_end_named(const std::function<tether::Context(tether::Router&)>& start) {
        tt::Master master;
        tether::Context crashed = start(master.router);
        auto crash = crashed.call_async(tt::crash);
        EXPECT_EQ(
            tt::lost_reason(crash),
            "context " + crashed.name() + " killed by signal 11 (SIGSEGV) while running tt::crash");

        tether::Context exited = start(master.router);
        auto exit = exited.call_async(tt::exit_now, 3);
        EXPECT_EQ(tt::lost_reason(exit),
                  "context " + exited.name() + " exited with status 3 while running tt::exit_now");

        tether::Context killed = start(master.router);
        int pid = killed.call(tt::pid);
        auto sleeping = killed.call_async(tt::sleep_ms, 30000);
        ASSERT_EQ(::kill(pid, SIGKILL), 0);  // root: any user's process, here or "remote"
        EXPECT_EQ(tt::lost_reason(sleeping),
                  "context " + killed.name() +
                      " killed by signal 9 (SIGKILL) while running tt::sleep_ms");
    }
};

TEST_F(LostRemote, SudoContextsSayHowTheyEnded) {
    expect_each_end_named(
        [](tether::Router& router) { return router.sudo({.username = "tt_bob"}); });
}

TEST_F(LostRemote, SshContextsSayHowTheyEnded) {
    expect_each_end_named(
        [this](tether::Router& router) { return router.ssh(ssh_options("tt_bob")); });
}

}  // namespace
