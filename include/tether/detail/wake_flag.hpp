// One sleeper, woken by one word: what a Receiver's thread and a child's
// dispatcher sleep on. A condition variable costs a woken thread one more
// system call: it wakes holding its mutex in the contended state, so its next
// unlock is a futex wake of nobody. Here the data stays under the caller's own
// mutex, and the sleep is a futex on this word alone. (Standard atomic waits
// have no timeout in C++20, hence the futex.) Internal to tether.
//
// The sleeper: under its mutex, clear() and then check its condition; if it
// does not hold, unlock and wait_until(). The waker: change the state under
// that mutex, unlock, then set().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace tether::detail {

class WakeFlag {
  public:
    void clear() noexcept { word_.store(kClear, std::memory_order_relaxed); }
    // Any thread. A system call only when the sleeper is asleep.
    void set() noexcept;
    // Returns once set() was called after the last clear() (true), or at the
    // deadline (false). nullopt: no deadline.
    bool wait_until(std::optional<std::chrono::steady_clock::time_point> deadline) noexcept;

  private:
    static constexpr std::uint32_t kClear = 0, kSet = 1, kSleeping = 2;
    std::atomic<std::uint32_t> word_{kClear};
};

}  // namespace tether::detail
