// How a lost context ended, as its waiters hear it: ChannelError::reason()
// names the exit status or the signal, the call it was running, and for a
// context behind an intermediary, how the intermediary ended.
#include <gtest/gtest.h>
#include <signal.h>

#include "support/functions.hpp"
#include "support/harness.hpp"

namespace {

TEST(Lost, ASegfaultNamesTheSignalAndTheCallItInterrupted) {
    tt::Master master;
    tether::Context child = master.router.local();
    auto rx = child.call_async(tt::crash);
    std::optional<tether::ChannelError> e = tt::channel_error(rx);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->context_name(), child.name());
    EXPECT_EQ(e->reason(),
              "context " + child.name() + " killed by signal 11 (SIGSEGV) while running tt::crash");
}

TEST(Lost, AnExitNamesItsStatus) {
    tt::Master master;
    tether::Context child = master.router.local();
    auto rx = child.call_async(tt::exit_now, 3);
    EXPECT_EQ(tt::lost_reason(rx),
              "context " + child.name() + " exited with status 3 while running tt::exit_now");
}

TEST(Lost, AKilledChildNamesSIGKILLOnlyForTheCallItWasRunning) {
    tt::Master master;
    tether::Context child = master.router.local();
    int pid = child.call(tt::pid);
    auto running = child.call_async(tt::sleep_ms, 30000);
    auto queued = child.call_async(tt::add, 1, 2);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    std::string killed = "context " + child.name() + " killed by signal 9 (SIGKILL)";
    EXPECT_EQ(tt::lost_reason(running), killed + " while running tt::sleep_ms");
    EXPECT_EQ(tt::lost_reason(queued), killed);
}

TEST(Lost, AContextBehindADeadIntermediarySaysHowTheIntermediaryEnded) {
    tt::Master master;
    tether::Context a = master.router.local();
    tether::Context b = master.router.local({.via = a});
    int a_pid = a.call(tt::pid);
    auto in_b = b.call_async(tt::sleep_ms, 30000);
    auto in_a = a.call_async(tt::sleep_ms, 30000);
    ASSERT_EQ(::kill(a_pid, SIGKILL), 0);
    std::string a_killed = "context " + a.name() + " killed by signal 9 (SIGKILL)";
    std::optional<tether::ChannelError> e = tt::channel_error(in_b);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->context_name(), b.name());
    EXPECT_EQ(e->reason(),
              "lost with its intermediary: " + a_killed + " while running tt::sleep_ms");
    EXPECT_EQ(tt::lost_reason(in_a), a_killed + " while running tt::sleep_ms");
}

TEST(Lost, AContextLostBehindALiveIntermediaryIsReportedByIt) {
    tt::Master master;
    tether::Context a = master.router.local();
    tether::Context b = master.router.local({.via = a});
    auto rx = b.call_async(tt::exit_now, 7);
    EXPECT_EQ(tt::lost_reason(rx),
              "context " + b.name() + " exited with status 7 while running tt::exit_now");
    EXPECT_EQ(a.call(tt::add, 2, 3), 5);  // the intermediary is fine
}

}  // namespace
