// Bounded soak: many start/call/shutdown cycles and a million calls, with
// what the process holds compared before and after. Under a sanitizer the
// counts are a tenth (every start runs an instrumented child) and RSS is not
// judged (ASan's quarantine holds freed memory on purpose).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "bench/measure.hpp"
#include "support/functions.hpp"
#include "support/harness.hpp"

using namespace std::chrono_literals;

namespace {

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TT_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(TT_SANITIZED)
constexpr bool kSanitized = true;
constexpr int kScale = 10;
#else
constexpr bool kSanitized = false;
constexpr int kScale = 1;
#endif

// What the process holds that a leak would grow.
struct Holdings {
    tt::ProcessSnapshot snapshot;
    std::vector<std::string> children;
    long rss = 0;
};

Holdings holdings() {
    return {tt::snapshot(), tt::child_processes(), bench::rss_kib(::getpid())};
}

// Fds in `after` that were not in `before` (one still closing when `before`
// was taken may be gone by `after`: no matter).
std::vector<int> new_fds(const Holdings& before, const Holdings& after) {
    std::vector<int> added;
    std::set_difference(after.snapshot.fds.begin(), after.snapshot.fds.end(),
                        before.snapshot.fds.begin(), before.snapshot.fds.end(),
                        std::back_inserter(added));
    return added;
}

// Start, call, shut down `cycles` times on each of `threads` threads.
void cycle(tether::Router& router, int threads, int cycles) {
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < cycles; ++i) {
                tether::Context child = router.local({});
                if (child.call(tt::add, t, i) != t + i) {
                    ++failures;
                }
                child.shutdown(true);
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    EXPECT_EQ(failures.load(), 0);
}

}  // namespace

TEST(Soak, TenThousandStartCallShutdownCyclesLeaveNothingBehind) {
    constexpr int kThreads = 2;
    const int total = 10000 / kScale;
    tt::Master master;
    // Warm up: the allocator's arenas, the log, the program image.
    cycle(master.router, kThreads, 100 / kScale);
    Holdings before = holdings();
    auto began = std::chrono::steady_clock::now();
    cycle(master.router, kThreads, total / kThreads);
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    // shutdown(true) returns once the last context is gone; its fds close a
    // moment later, as the per-test leak check allows for too.
    Holdings after = holdings();
    for (int settle = 0; settle < 50 && !new_fds(before, after).empty(); ++settle) {
        std::this_thread::sleep_for(20ms);  // a bound, not a sync
        after = holdings();
    }
    std::cout << total << " cycles in " << took << " s; RSS " << before.rss << " -> " << after.rss
              << " KiB; fds " << before.snapshot.fds.size() << " -> " << after.snapshot.fds.size()
              << "; threads " << before.snapshot.threads << " -> " << after.snapshot.threads
              << std::endl;
    std::vector<int> added = new_fds(before, after);
    EXPECT_TRUE(added.empty()) << added.size() << " new fds, the first " << added.front();
    EXPECT_EQ(after.snapshot.threads, before.snapshot.threads);
    EXPECT_TRUE(after.children.empty()) << after.children.front();
    if (!kSanitized) {
        // Noise: the allocator keeps some of what it was given.
        EXPECT_LT(after.rss - before.rss, 4096) << before.rss << " -> " << after.rss << " KiB";
    }
}

TEST(Soak, AMillionCallsOnOneContextKeepBothSidesFlat) {
    const int total = 1000000 / kScale;
    constexpr int kWindow = 1000;  // calls in flight at once
    tt::Master master;
    tether::Context child = master.router.local({});
    const int child_pid = child.call(tt::pid);
    auto run = [&](int calls) {
        std::vector<tether::Receiver<int>> window;
        window.reserve(kWindow);
        int wrong = 0;
        for (int done = 0; done < calls; done += kWindow) {
            window.clear();
            for (int i = 0; i < kWindow; ++i) {
                window.push_back(child.call_async(tt::add, done, i));
            }
            for (int i = 0; i < kWindow; ++i) {
                wrong += window[static_cast<std::size_t>(i)].get() != done + i ? 1 : 0;
            }
        }
        EXPECT_EQ(wrong, 0);
    };
    run(total / 10);  // warm up: buffers at their working size
    long master_before = bench::rss_kib(::getpid());
    long child_before = bench::rss_kib(child_pid);
    auto began = std::chrono::steady_clock::now();
    run(total - total / 10);
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    long master_after = bench::rss_kib(::getpid());
    long child_after = bench::rss_kib(child_pid);
    std::cout << total << " calls (" << total - total / 10 << " measured) in " << took
              << " s; master RSS " << master_before << " -> " << master_after << " KiB, child "
              << child_before << " -> " << child_after << " KiB" << std::endl;
    if (!kSanitized) {
        EXPECT_LT(master_after - master_before, 2048);
        EXPECT_LT(child_after - child_before, 2048);
    }
    child.shutdown(true);
}
