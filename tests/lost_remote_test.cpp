// How a lost context ended, through sudo and SSH: the signal or exit status
// of the program reaches the waiters' ChannelError as sudo (which ends
// itself the way its command ended) and sshd (exit-status, exit-signal)
// report it. The local cases are in lost_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>

#include <functional>

#include "functions.hpp"
#include "harness.hpp"
#include "ssh_fixture.hpp"

namespace {

template <class T>
std::string lost_reason(tether::Receiver<T>& rx) {
    try {
        rx.get(std::chrono::seconds(30));
    } catch (const tether::ChannelError& e) {
        return e.reason();
    }
    ADD_FAILURE() << "the call did not fail with ChannelError";
    return {};
}

class LostRemote : public tt::SshUsers {
  protected:
    tether::SshOptions ssh_to(const std::string& user) const {
        return {.hostname = sshd_->address(),
                .port = sshd_->port(),
                .username = user,
                .identity_file = sshd_->client_key(),
                .known_hosts_file = sshd_->known_hosts(),
                .use_agent = false};
    }

    // Starts a context three times and ends each one a different way.
    void expect_each_end_named(const std::function<tether::Context(tether::Router&)>& start) {
        tt::Master master;
        tether::Context crashed = start(master.router);
        auto crash = crashed.call_async(tt::crash);
        EXPECT_EQ(lost_reason(crash), "context " + crashed.name() +
                                          " killed by signal 11 (SIGSEGV) while running tt::crash");

        tether::Context exited = start(master.router);
        auto exit = exited.call_async(tt::exit_now, 3);
        EXPECT_EQ(lost_reason(exit),
                  "context " + exited.name() + " exited with status 3 while running tt::exit_now");

        tether::Context killed = start(master.router);
        int pid = killed.call(tt::pid);
        auto sleeping = killed.call_async(tt::sleep_ms, 30000);
        ASSERT_EQ(::kill(pid, SIGKILL), 0);  // root: any user's process, here or "remote"
        EXPECT_EQ(lost_reason(sleeping),
                  "context " + killed.name() +
                      " killed by signal 9 (SIGKILL) while running tt::sleep_ms");
    }
};

TEST_F(LostRemote, SudoContextsSayHowTheyEnded) {
    expect_each_end_named(
        [](tether::Router& router) { return router.sudo({.username = "tt_bob"}); });
}

TEST_F(LostRemote, SshContextsSayHowTheyEnded) {
    expect_each_end_named([this](tether::Router& router) { return router.ssh(ssh_to("tt_bob")); });
}

}  // namespace
