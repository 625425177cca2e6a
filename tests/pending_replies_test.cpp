// Pending replies without processes: slots, handles, who may answer.
#include "core/pending_replies.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace td = tether::detail;

namespace {

std::shared_ptr<td::ReplySlot> slot_for(std::uint32_t respondent) {
    return std::make_shared<td::ReplySlot>(td::ContextRef{{}, respondent, "ctx"});
}

td::Message reply(std::uint32_t handle, std::uint32_t src, std::string payload, bool dead = false) {
    td::Message m;
    m.header.handle = handle;
    m.header.src = src;
    m.header.flags = dead ? td::kFlagDead : 0;
    m.payload = std::move(payload);
    return m;
}

TEST(PendingReplies, HandlesAreFreshAndStartAboveTheWellKnownOnes) {
    td::PendingReplies pending;
    EXPECT_EQ(pending.next_handle(), td::kFirstDynamicHandle);
    auto first = pending.add(slot_for(1));
    auto second = pending.add(slot_for(1));
    ASSERT_TRUE(first && second);
    EXPECT_EQ(*first, td::kFirstDynamicHandle);
    EXPECT_EQ(*second, *first + 1);
    EXPECT_EQ(pending.next_handle(), *second + 1);
}

TEST(PendingReplies, OnlyTheRespondentAnswersButAnyoneMayDeclareItDead) {
    td::PendingReplies pending;
    auto live = slot_for(4);
    auto dead = slot_for(4);
    std::uint32_t live_handle = *pending.add(live);
    std::uint32_t dead_handle = *pending.add(dead);
    using Delivery = td::PendingReplies::Delivery;

    EXPECT_EQ(pending.deliver(reply(live_handle, 9, "forged")), Delivery::wrong_sender);
    EXPECT_FALSE(live->ready());
    EXPECT_EQ(pending.deliver(reply(live_handle, 4, "real")), Delivery::delivered);
    td::Reply got = live->take(std::chrono::milliseconds(0));
    EXPECT_FALSE(got.dead);
    EXPECT_EQ(got.payload, "real");
    EXPECT_EQ(pending.deliver(reply(live_handle, 4, "again")), Delivery::unknown_handle);

    EXPECT_EQ(pending.deliver(reply(dead_handle, 9, "no route", true)), Delivery::delivered);
    got = dead->take(std::chrono::milliseconds(0));
    EXPECT_TRUE(got.dead);
    EXPECT_EQ(got.payload, "no route");
    EXPECT_EQ(pending.deliver(reply(12345, 4, "")), Delivery::unknown_handle);
}

TEST(PendingReplies, ALostContextFailsExactlyTheRepliesItOwed) {
    td::PendingReplies pending;
    auto from_lost = slot_for(3);
    auto from_other_lost = slot_for(6);
    auto from_alive = slot_for(4);
    pending.add(from_lost);
    pending.add(from_other_lost);
    std::uint32_t alive_handle = *pending.add(from_alive);
    pending.fail_from({3, 6}, "context 3 killed by signal 9 (SIGKILL)");
    for (const auto& slot : {from_lost, from_other_lost}) {
        td::Reply got = slot->take(std::chrono::milliseconds(0));
        EXPECT_TRUE(got.dead);
        EXPECT_EQ(got.payload, "context 3 killed by signal 9 (SIGKILL)");
    }
    EXPECT_FALSE(from_alive->ready());
    EXPECT_EQ(pending.deliver(reply(alive_handle, 4, "ok")),
              td::PendingReplies::Delivery::delivered);
}

TEST(PendingReplies, ClosingFailsEverythingAndRefusesMore) {
    td::PendingReplies pending;
    auto a = slot_for(1);
    auto b = slot_for(2);
    pending.add(a);
    pending.add(b);
    pending.close("the broker has shut down");
    EXPECT_EQ(a->take(std::chrono::milliseconds(0)).payload, "the broker has shut down");
    EXPECT_TRUE(b->take(std::chrono::milliseconds(0)).dead);
    EXPECT_FALSE(pending.add(slot_for(1)).has_value());
}

}  // namespace
