#include <gtest/gtest.h>

#include <set>

#include "support/functions.hpp"
#include "support/harness.hpp"

using namespace std::chrono_literals;

TEST(Select, YieldsEachResultOnceInArrivalOrder) {
    tt::Master master;
    std::vector<tether::Context> contexts;
    for (int i = 0; i < 3; ++i) {
        contexts.push_back(master.router.local());
    }
    // Sleeps chosen so that arrival order is the reverse of sending order.
    std::vector<tether::Receiver<int>> calls;
    calls.push_back(contexts[0].call_async(tt::sleep_ms, 600));
    calls.push_back(contexts[1].call_async(tt::sleep_ms, 300));
    calls.push_back(contexts[2].call_async(tt::sleep_ms, 1));
    tether::Select<int> select(calls);
    EXPECT_EQ(select.size(), 3u);
    std::vector<int> order;
    std::set<std::uint32_t> from;
    while (!select.empty()) {
        auto done = select.get(10s);
        order.push_back(done.value());
        from.insert(done.context().id());
    }
    EXPECT_EQ(order, (std::vector<int>{1, 300, 600}));
    EXPECT_EQ(from.size(), 3u);
    EXPECT_THROW(select.get(), tether::SelectError);
}

TEST(Select, TimeoutLeavesTheSelectUsable) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Select<int> select;
    select.add(child.call_async(tt::sleep_ms, 300));
    EXPECT_THROW(select.get(10ms), tether::TimeoutError);
    EXPECT_EQ(select.get(10s).value(), 300);
    EXPECT_TRUE(select.empty());
}

TEST(Select, CountsResultsThatArrivedBeforeAdd) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Receiver<int> rx = child.call_async(tt::add, 1, 1);
    while (!rx.ready()) {
        std::this_thread::yield();
    }
    tether::Select<int> select;
    select.add(std::move(rx));
    EXPECT_EQ(select.get(0ms).value(), 2);
}

TEST(Select, RefusesAReceiverWhoseResultWasTaken) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Receiver<int> rx = child.call_async(tt::add, 1, 1);
    EXPECT_EQ(rx.get(), 2);
    tether::Select<int> select;
    EXPECT_THROW(select.add(std::move(rx)), tether::Error);
    EXPECT_TRUE(select.empty());
}

TEST(Select, EachResultCarriesItsOwnError) {
    tt::Master master;
    tether::Context a = master.router.local();
    tether::Context b = master.router.local();
    std::vector<tether::Receiver<void>> calls;
    calls.push_back(a.call_async(tt::fail_std, "only a"));
    calls.push_back(b.call_async(tt::nothing));
    tether::Select<void> select(calls);
    int failures = 0, successes = 0;
    while (!select.empty()) {
        auto done = select.get(10s);
        try {
            done.value();
            ++successes;
            EXPECT_EQ(done.context().id(), b.id());
        } catch (const tether::CallError& e) {
            ++failures;
            EXPECT_EQ(done.context().id(), a.id());
            EXPECT_EQ(e.message(), "only a");
        }
    }
    EXPECT_EQ(failures, 1);
    EXPECT_EQ(successes, 1);
}

TEST(Select, FansOutOverManyContexts) {
    tt::Master master;
    std::vector<tether::Context> contexts;
    for (int i = 0; i < 4; ++i) {
        contexts.push_back(master.router.local());
    }
    std::vector<tether::Receiver<int>> calls;
    for (int round = 0; round < 50; ++round) {
        for (std::size_t c = 0; c < contexts.size(); ++c) {
            calls.push_back(contexts[c].call_async(tt::add, round, static_cast<int>(c)));
        }
    }
    tether::Select<int> select(calls);
    long total = 0;
    std::size_t count = 0;
    while (!select.empty()) {
        total += select.get(10s).value();
        ++count;
    }
    EXPECT_EQ(count, 200u);
    EXPECT_EQ(total, 4L * (49 * 50 / 2) + 50L * (0 + 1 + 2 + 3));
}
