// Latch: a queue between threads (order, close, timeouts, many producers
// and consumers), and a member of a Select beside call results.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/functions.hpp"
#include "support/harness.hpp"

using namespace std::chrono_literals;

TEST(Latch, GivesItemsInTheOrderPutAndNothingOnceClosedAndDrained) {
    tether::Latch<std::string> latch;
    latch.put("a");
    latch.put("b");
    EXPECT_EQ(latch.size(), 2u);
    latch.close();
    EXPECT_TRUE(latch.closed());
    EXPECT_THROW(latch.put("c"), tether::Error);
    EXPECT_EQ(latch.get(), "a");
    EXPECT_EQ(latch.get(10ms), "b");
    EXPECT_EQ(latch.get(), std::nullopt);
    EXPECT_EQ(latch.get(10ms), std::nullopt);
    latch.close();  // idempotent
}

TEST(Latch, AGetTimesOutAndTheLatchStaysUsable) {
    tether::Latch<int> latch;
    auto before = std::chrono::steady_clock::now();
    EXPECT_THROW(latch.get(20ms), tether::TimeoutError);
    EXPECT_GE(std::chrono::steady_clock::now() - before, 20ms);
    latch.put(7);
    EXPECT_EQ(latch.get(0ms), 7);
}

TEST(Latch, CloseWakesEveryWaiter) {
    tether::Latch<int> latch;
    std::atomic<int> woke{0};
    std::vector<std::thread> waiters;
    for (int i = 0; i < 4; ++i) {
        waiters.emplace_back([latch, &woke]() mutable {
            if (!latch.get()) {
                ++woke;
            }
        });
    }
    latch.close();
    for (auto& t : waiters) {
        t.join();
    }
    EXPECT_EQ(woke, 4);
}

TEST(Latch, ManyProducersAndConsumersTakeEachItemOnce) {
    tether::Latch<int> latch;
    constexpr int kProducers = 4, kPerProducer = 5000, kConsumers = 3;
    std::vector<std::vector<int>> taken(kConsumers);
    std::vector<std::thread> consumers;
    for (int c = 0; c < kConsumers; ++c) {
        consumers.emplace_back([latch, &mine = taken[c]]() mutable {
            while (std::optional<int> item = latch.get()) {
                mine.push_back(*item);
            }
        });
    }
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([latch, p]() mutable {
            for (int i = 0; i < kPerProducer; ++i) {
                latch.put(p * kPerProducer + i);
            }
        });
    }
    for (auto& t : producers) {
        t.join();
    }
    latch.close();
    for (auto& t : consumers) {
        t.join();
    }
    std::set<int> all;
    std::size_t count = 0;
    for (const auto& mine : taken) {
        count += mine.size();
        all.insert(mine.begin(), mine.end());
        // Each consumer sees each producer's items in the order put.
        std::vector<int> last(kProducers, -1);
        for (int item : mine) {
            int p = item / kPerProducer;
            EXPECT_GT(item, last[p]);
            last[p] = item;
        }
    }
    EXPECT_EQ(count, std::size_t{kProducers * kPerProducer});
    EXPECT_EQ(all.size(), count);
}

TEST(LatchInSelect, ItemsAndCallResultsArriveTogether) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Latch<int> progress;
    tether::Select<int> select;
    select.add(child.call_async(tt::sleep_ms, 200));
    select.add(progress);
    EXPECT_EQ(select.size(), 2u);
    std::thread worker([progress]() mutable {
        for (int i = 1; i <= 3; ++i) {
            progress.put(i);
        }
        progress.close();
    });
    std::vector<int> items;
    int result = 0;
    while (!select.empty()) {
        auto done = select.get(10s);
        if (done.from_latch()) {
            items.push_back(done.value());
            EXPECT_THROW(done.context(), tether::Error);
        } else {
            result = done.value();
            EXPECT_EQ(done.context().id(), child.id());
        }
    }
    worker.join();
    EXPECT_EQ(items, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(result, 200);
    EXPECT_THROW(select.get(), tether::SelectError);
}

TEST(LatchInSelect, ALatchStaysAMemberUntilClosedAndDrained) {
    tether::Latch<std::string> latch;
    latch.put("early");  // before add: announced by add
    tether::Select<std::string> select;
    select.add(latch);
    EXPECT_EQ(select.get(1s).value(), "early");
    EXPECT_EQ(select.size(), 1u);
    EXPECT_THROW(select.get(20ms), tether::TimeoutError);
    latch.put("later");
    latch.close();
    EXPECT_EQ(select.get(1s).value(), "later");
    EXPECT_THROW(select.get(1s), tether::SelectError);
    EXPECT_TRUE(select.empty());
}

TEST(LatchInSelect, ClosingTheLastLatchEndsAWaitingGet) {
    tether::Latch<int> latch;
    tether::Select<int> select;
    select.add(latch);
    std::thread closer([latch]() mutable { latch.close(); });
    EXPECT_THROW(select.get(10s), tether::SelectError);
    closer.join();
}

TEST(LatchInSelect, AnItemTakenByAnotherConsumerIsNotYieldedTwice) {
    tether::Latch<int> latch;
    tether::Select<int> select;
    select.add(latch);
    latch.put(1);
    latch.put(2);
    EXPECT_EQ(latch.get(), 1);  // taken beside the select
    EXPECT_EQ(select.get(1s).value(), 2);
    EXPECT_THROW(select.get(20ms), tether::TimeoutError);
}

TEST(LatchInSelect, ALatchIsInOneSelectAtATime) {
    tether::Latch<int> latch;
    {
        tether::Select<int> first;
        first.add(latch);
        tether::Select<int> second;
        EXPECT_THROW(second.add(latch), tether::Error);
        EXPECT_TRUE(second.empty());
        // A moved Select keeps the latch; the moved-from one has nothing.
        tether::Select<int> moved(std::move(first));
        EXPECT_THROW(second.add(latch), tether::Error);
        latch.put(5);
        EXPECT_EQ(moved.get(1s).value(), 5);
    }
    // Both gone: another may take it.
    tether::Select<int> third;
    third.add(latch);
    latch.put(6);
    EXPECT_EQ(third.get(1s).value(), 6);
}

TEST(SelectMembers, ARemovedLatchIsNoLongerWaitedOnAndKeepsItsItems) {
    tether::Latch<int> latch;
    tether::Latch<int> other;
    tether::Select<int> select;
    select.add(latch);
    select.add(other);
    latch.put(1);
    EXPECT_TRUE(select.remove(latch));
    EXPECT_FALSE(select.remove(latch));
    EXPECT_EQ(select.size(), 1u);
    other.put(2);
    EXPECT_EQ(select.get(1s).value(), 2);  // the announcement of 1 is skipped
    EXPECT_EQ(latch.get(0ms), 1);
    // Free for another select now.
    tether::Select<int> next;
    next.add(latch);
    latch.put(3);
    EXPECT_EQ(next.get(1s).value(), 3);
}

TEST(SelectMembers, CloseDropsEveryMemberAndTheSelectTakesNewOnes) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Latch<int> latch;
    tether::Select<int> select;
    select.add(child.call_async(tt::sleep_ms, 50));
    select.add(latch);
    select.close();
    EXPECT_TRUE(select.empty());
    EXPECT_THROW(select.get(10ms), tether::SelectError);
    latch.put(4);  // released: no select hears it, the latch keeps it
    select.add(child.call_async(tt::add, 2, 2));
    EXPECT_EQ(select.get(10s).value(), 4);  // the dropped call's result never comes here
    EXPECT_THROW(select.get(100ms), tether::SelectError);
    EXPECT_EQ(latch.get(0ms), 4);
    tether::Select<int> other;
    other.add(latch);
}

TEST(ReceiverClose, EndsAWaitOnAnotherThreadWithChannelError) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Receiver<int> pending = child.call_async(tt::sleep_ms, 30000);
    std::thread closer([&pending] {
        std::this_thread::sleep_for(50ms);  // lets get() start waiting; either order passes
        pending.close();
    });
    try {
        pending.get(10s);
        ADD_FAILURE() << "get() returned after close()";
    } catch (const tether::ChannelError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "the receiver was closed")) << e.what();
    }
    closer.join();
    // The context itself is fine: the next call waits behind the sleep, so
    // shut it down rather than wait 30 s.
    child.shutdown(true);
}

TEST(ReceiverClose, AResultThatArrivedFirstIsStillYielded) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Receiver<int> done = child.call_async(tt::add, 1, 2);
    while (!done.ready()) {
        std::this_thread::sleep_for(1ms);  // a poll for the test's precondition
    }
    done.close();
    EXPECT_EQ(done.get(), 3);
    tether::Receiver<int> in_select = child.call_async(tt::sleep_ms, 30000);
    in_select.close();
    tether::Select<int> select;
    select.add(std::move(in_select));
    EXPECT_THROW(select.get(10s).value(), tether::ChannelError);
    child.shutdown(true);
}

TEST(SelectMembers, ReadySaysWhetherAResultIsThereWithoutTakingIt) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Latch<int> latch;
    tether::Select<int> select;
    EXPECT_FALSE(select.ready());
    select.add(latch);
    tether::Receiver<int> call = child.call_async(tt::add, 1, 1);
    select.add(std::move(call));
    latch.put(9);
    EXPECT_TRUE(select.ready());
    std::set<int> got;
    got.insert(select.get(10s).value());  // in arrival order: either first
    got.insert(select.get(10s).value());
    EXPECT_EQ(got, (std::set<int>{2, 9}));
    EXPECT_FALSE(select.ready());
    latch.close();
    EXPECT_FALSE(select.ready());  // closed and drained: nothing to yield
    EXPECT_THROW(select.get(1s), tether::SelectError);
}
