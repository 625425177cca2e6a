#include <gtest/gtest.h>

#include <thread>

#include "support/functions.hpp"
#include "support/harness.hpp"

using namespace std::chrono_literals;

class Call : public ::testing::Test {
  protected:
    tt::Master master;
    tether::Context child = master.router.local();
};

TEST_F(Call, ReturnsResults) {
    EXPECT_EQ(child.call(tt::add, 1, 2), 3);
    EXPECT_EQ(child.call(tt::greet, "world"), "hello world");
    EXPECT_NE(child.call(tt::pid), ::getpid());
    child.call(tt::nothing);
}

TEST_F(Call, CarriesStandardAndUserTypes) {
    EXPECT_EQ(child.call(tt::doubled, std::vector<int>{1, 2, 3}), (std::vector<int>{2, 4, 6}));
    auto counts = child.call(tt::count_words, std::vector<std::string>{"a", "b", "a"});
    EXPECT_EQ(counts.at("a"), 2);
    EXPECT_EQ(counts.at("b"), 1);
    EXPECT_EQ(child.call(tt::maybe, true), std::optional<std::string>("here"));
    EXPECT_EQ(child.call(tt::maybe, false), std::nullopt);
    EXPECT_EQ(child.call(tt::tuple_of, 4), std::make_tuple(4, std::string("4"), 2.0));
    EXPECT_EQ(std::get<std::string>(child.call(tt::variant_of, true)), "text");
    EXPECT_EQ(std::get<int>(child.call(tt::variant_of, false)), 7);
    tt::Point p{1, 2, "p"};
    EXPECT_EQ(child.call(tt::move_point, p, 10), (tt::Point{11, 2, "p!"}));
    std::string bytes(1 << 20, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<char>(i * 7);
    }
    EXPECT_EQ(child.call(tt::echo_blob, tether::Blob(bytes)).str(), bytes);
    EXPECT_EQ(child.call(tt::reveal, tether::Secret("pw")), "pw");
}

TEST_F(Call, ConvertsArgumentsToParameterTypes) {
    EXPECT_EQ(child.call(tt::add, short{2}, 'a'), 2 + 'a');
    const char* who = "c string";
    EXPECT_EQ(child.call(tt::greet, who), "hello c string");
}

TEST_F(Call, AsyncAndTimeouts) {
    tether::Receiver<int> slow = child.call_async(tt::sleep_ms, 300);
    EXPECT_FALSE(slow.ready());
    EXPECT_THROW(slow.get(10ms), tether::TimeoutError);
    // Still usable after the timeout: the late reply arrives.
    EXPECT_EQ(slow.get(), 300);
    EXPECT_THROW(slow.get(), tether::Error);  // taken once
    EXPECT_EQ(slow.context().name(), child.name());
}

TEST_F(Call, CallsRunOneAtATimeInOrder) {
    for (int i = 0; i < 200; ++i) {
        child.call_no_reply(tt::record, i);
    }
    std::vector<tether::Receiver<void>> pending;
    for (int i = 200; i < 400; ++i) {
        pending.push_back(child.call_async(tt::record, i));
    }
    for (auto& r : pending) {
        r.get();
    }
    EXPECT_TRUE(child.call(tt::on_main_thread));
    std::vector<int> seen = child.call(tt::recorded);
    ASSERT_EQ(seen.size(), 400u);
    for (int i = 0; i < 400; ++i) {
        EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
    }
}

TEST_F(Call, NestedCallsWhileMoreCallsAreQueued) {
    // Calls queued behind a running one: their replies are batched, but a
    // call that itself starts a context and calls it must not be held back.
    auto slow = child.call_async(tt::sleep_ms, 200);
    auto first = child.call_async(tt::call_add_in_new_child, 1, 2);
    auto second = child.call_async(tt::call_add_in_new_child, 3, 4);
    EXPECT_EQ(slow.get(20s), 200);
    EXPECT_EQ(first.get(20s), 3);
    EXPECT_EQ(second.get(20s), 7);
}

TEST_F(Call, ManyThreadsShareOneContext) {
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 100; ++i) {
                if (child.call(tt::add, t, i) == t + i) {
                    ++good;
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(good.load(), 800);
}

TEST_F(Call, CallErrorCarriesTypeMessageContextAndBacktrace) {
    try {
        child.call(tt::fail_std, "boom");
        FAIL() << "no exception";
    } catch (const tether::CallError& e) {
        EXPECT_EQ(e.type_name(), "tt::MyError");
        EXPECT_EQ(e.message(), "boom");
        EXPECT_EQ(e.context_name(), child.name());
        EXPECT_TRUE(tt::contains(e.backtrace(), "tt::fail_std")) << e.backtrace();
        EXPECT_TRUE(tt::contains(e.what(), "boom"));
        EXPECT_TRUE(tt::contains(e.what(), child.name()));
    }
    // The context keeps serving.
    EXPECT_EQ(child.call(tt::add, 2, 2), 4);
}

TEST_F(Call, NonStdExceptionsAreNamed) {
    try {
        child.call(tt::fail_custom);
        FAIL() << "no exception";
    } catch (const tether::CallError& e) {
        EXPECT_EQ(e.type_name(), "tt::CustomError");
        EXPECT_TRUE(tt::contains(e.backtrace(), "tt::fail_custom")) << e.backtrace();
    }
    try {
        child.call(tt::fail_int);
        FAIL() << "no exception";
    } catch (const tether::CallError& e) {
        EXPECT_EQ(e.type_name(), "int");
    }
    EXPECT_EQ(child.call(tt::add, 1, 1), 2);
}

int not_exported(int x) {
    return x;
}

TEST_F(Call, UnexportedFunctionIsACallError) {
    try {
        child.call(not_exported, 1);
        FAIL() << "no exception";
    } catch (const tether::CallError& e) {
        EXPECT_TRUE(tt::contains(e.message(), "TETHER_EXPORT")) << e.what();
    }
}

TEST_F(Call, CallContextDescribesTheCall) {
    std::string who = child.call(tt::whoami);
    EXPECT_EQ(who, child.name() + "|master|0|" + std::to_string(child.id()));
}

TEST_F(Call, ContextsPassAsArgumentsAndResults) {
    tether::Context grandchild = child.call(tt::start_local_here);
    EXPECT_TRUE(tt::contains(grandchild.name(), child.name() + ".local."));
    EXPECT_EQ(grandchild.call(tt::add, 5, 5), 10);  // routed through the child
    EXPECT_EQ(child.call(tt::call_add_in_new_child, 20, 22), 42);
}
