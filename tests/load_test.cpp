// Many caller threads on one Router at once (run under ThreadSanitizer with
// the rest of the core tests): blocking, async and select calls, failing
// calls, to several contexts including one behind another, while contexts
// come and go beside them.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "support/functions.hpp"
#include "support/harness.hpp"

using namespace std::chrono_literals;

TEST(Load, SixtyFourCallerThreadsOnOneRouterAcrossSeveralContexts) {
    constexpr int kThreads = 64;
    constexpr int kRounds = 200;
    tt::Master master;
    std::vector<tether::Context> targets;
    for (int i = 0; i < 4; ++i) {
        targets.push_back(master.router.local({}));
    }
    targets.push_back(master.router.local({.via = targets[0]}));

    std::atomic<int> good{0};
    std::atomic<bool> callers_done{false};
    // Beside the callers: contexts started, called and shut down.
    std::thread churn([&] {
        int cycles = 0;
        while (!callers_done || cycles == 0) {
            tether::Context passing = master.router.local({});
            EXPECT_EQ(passing.call(tt::add, cycles, 1), cycles + 1);
            passing.shutdown(true);
            ++cycles;
        }
    });
    std::vector<std::thread> callers;
    for (int t = 0; t < kThreads; ++t) {
        callers.emplace_back([&, t] {
            for (int i = 0; i < kRounds; ++i) {
                const tether::Context& to = targets[static_cast<std::size_t>(t + i) % 5];
                switch ((t + i) % 4) {
                    case 0:
                        good += to.call(tt::add, t, i) == t + i;
                        break;
                    case 1:
                        good += to.call_async(tt::greet, std::to_string(t)).get(60s) ==
                                "hello " + std::to_string(t);
                        break;
                    case 2: {
                        tether::Select<int> all;
                        for (int k = 0; k < 3; ++k) {
                            all.add(targets[static_cast<std::size_t>(t + k) % 5].call_async(tt::add,
                                                                                            k, i));
                        }
                        int sum = 0;
                        for (int k = 0; k < 3; ++k) {
                            sum += all.get(60s).value();
                        }
                        good += sum == 3 * i + 3;
                        break;
                    }
                    case 3:
                        try {
                            to.call(tt::fail_std, std::string("expected"));
                        } catch (const tether::CallError& e) {
                            good += tt::contains(e.what(), "expected");
                        }
                        break;
                }
            }
        });
    }
    for (auto& c : callers) {
        c.join();
    }
    callers_done = true;
    churn.join();
    EXPECT_EQ(good.load(), kThreads * kRounds);
    for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
        it->shutdown(true);
    }
}
