// A child that speaks the protocol badly on purpose (tests/support/functions.cpp's
// write_raw_* write bytes straight onto its parent stream). Each kind of bad
// input closes only that stream or drops only that message, with a logged
// reason; the master and every other context keep working; nothing already
// accepted is lost.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/message.hpp"
#include "core/protocol.hpp"
#include "core/router_core.hpp"
#include "support/functions.hpp"
#include "support/harness.hpp"
#include "tether/detail/wire.hpp"

using namespace std::chrono_literals;

namespace {

std::string int_reply(int value) {
    std::string payload;
    tether::detail::encode_exact(payload, tether::detail::kReplyValue, value);
    return payload;
}

// One context dies in the middle of a frame (`bytes`, then EOF): its pending
// call fails at once, the others' calls are not disturbed.
void dies_mid_frame(const std::string& bytes) {
    tt::Master master;
    tether::Context bad = master.router.local();
    tether::Context good = master.router.local();
    auto busy = good.call_async(tt::sleep_ms, 200);
    auto dying = bad.call_async(tt::write_raw_then_exit, bytes);
    try {
        dying.get(30s);
        ADD_FAILURE() << "no ChannelError";
    } catch (const tether::ChannelError& e) {
        EXPECT_EQ(e.context_name(), bad.name());
    }
    EXPECT_EQ(busy.get(30s), 200) << "accepted before, still delivered";
    EXPECT_EQ(good.call(tt::add, 2, 3), 5);
    EXPECT_THROW(bad.call(tt::add, 2, 3), tether::ChannelError);
}

}  // namespace

TEST(Hostile, ATruncatedHeaderThenEofLosesOnlyThatContext) {
    dies_mid_frame(tt::raw_frame(0, 1, 1000, "payload").substr(0, tether::detail::kHeaderSize / 2));
}

TEST(Hostile, ALengthPastTheEndThenEofLosesOnlyThatContext) {
    dies_mid_frame(tt::raw_frame(0, 1, 1000, std::string(10, 'x'), 100));
}

TEST(Hostile, GarbageForATypedReplyFailsThatCallAndTheContextGoesOn) {
    tt::Master master;
    tether::Context x = master.router.local();
    // The handle this very call will be answered on: the child answers it
    // first, with a value cut short, then its real reply follows.
    std::uint32_t handle = master.router.core().next_reply_handle();
    auto forged = x.call_async(tt::write_raw_then_return,
                               tt::raw_frame(0, x.id(), handle, int_reply(5).substr(0, 3)), 7);
    try {
        forged.get(30s);
        FAIL() << "the garbage was taken for a value";
    } catch (const tether::ChannelError& e) {
        EXPECT_TRUE(tt::contains(e.reason(), "malformed reply")) << e.what();
    }
    // Its real reply came after and was dropped; the context goes on.
    EXPECT_EQ(x.call(tt::add, 1, 2), 3);
}

TEST(Hostile, RepliesToHandlesItWasNeverGivenAreDroppedAndLogged) {
    tt::LogCapture log;
    tt::Master master;
    tether::Context x = master.router.local();
    tether::Context y = master.router.local();
    std::uint32_t handle = master.router.core().next_reply_handle();
    auto waiting = y.call_async(tt::sleep_ms, 300);  // answered on `handle`, by y only
    // x answers y's call, and a handle nobody has.
    x.call(tt::write_raw_to_parent, tt::raw_frame(0, x.id(), handle, int_reply(666)) +
                                        tt::raw_frame(0, x.id(), 0x7ffffff0, int_reply(1)));
    EXPECT_EQ(waiting.get(30s), 300) << "y's own answer, not x's";
    EXPECT_EQ(x.call(tt::add, 1, 2), 3);
    EXPECT_EQ(y.call(tt::add, 3, 4), 7);
    EXPECT_GE(log.count("reply from unexpected context"), 1u) << log.text();
}

TEST(Hostile, AFloodOfLogRecordsIsAllLoggedWhileOthersAreServed) {
    tt::LogCapture log;
    tt::Master master;
    tether::Context x = master.router.local();
    tether::Context y = master.router.local();
    constexpr int kRecords = 20000;
    std::string flood;
    for (int i = 0; i < kRecords; ++i) {
        flood += tt::raw_frame(0, x.id(), tether::detail::kForwardLog,
                               tether::detail::encode(tether::detail::LogRecord{
                                   x.id(), 2, "flood", "record " + std::to_string(i)}));
    }
    // A record about the master itself, forged: shown as x's own.
    flood += tt::raw_frame(0, x.id(), tether::detail::kForwardLog,
                           tether::detail::encode(tether::detail::LogRecord{0, 3, "forged", "hi"}));
    auto flooding = x.call_async(tt::write_raw_to_parent, flood);
    for (int i = 0; i < 200; ++i) {
        ASSERT_EQ(y.call(tt::add, i, 1), i + 1);
    }
    flooding.get(120s);
    EXPECT_EQ(x.call(tt::add, 1, 1), 2);
    EXPECT_EQ(log.count(": flood: record "), static_cast<std::size_t>(kRecords))
        << "every record accepted is logged";
    EXPECT_EQ(log.count("tether.ctx." + x.name() + " (claiming "), 1u)
        << log.text().substr(0, 2000);
}

TEST(Hostile, ARequestUnderForgedAuthorityGetsADeadReplySayingSo) {
    tt::Master master;
    master.router.allow_calls(tt::sleep_ms);
    tether::Context child = master.router.local();
    tether::Context grandchild = master.router.local({.via = child});
    // Without the dead reply the forged call would vanish, and the master's
    // answer to the genuine call on the same handle arrive 500 ms later.
    EXPECT_EQ(grandchild.call(tt::forge_authority_during_a_master_call), "bad auth_id");
    EXPECT_EQ(child.call(tt::add, 1, 2), 3);
    EXPECT_EQ(grandchild.call(tt::add, 3, 4), 7);
}
