#include "tether/detail/wake_flag.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace tether::detail {
namespace {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

std::uint32_t* address(std::atomic<std::uint32_t>& word) {
    return reinterpret_cast<std::uint32_t*>(&word);
}

}  // namespace

void WakeFlag::set() noexcept {
    if (word_.exchange(kSet, std::memory_order_release) == kSleeping) {
        ::syscall(SYS_futex, address(word_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    }
}

bool WakeFlag::wait_until(std::optional<std::chrono::steady_clock::time_point> deadline) noexcept {
    for (;;) {
        std::uint32_t seen = kClear;
        if (!word_.compare_exchange_strong(seen, kSleeping, std::memory_order_acquire) &&
            seen == kSet) {
            return true;
        }
        timespec rel{};
        if (deadline) {
            auto left = *deadline - std::chrono::steady_clock::now();
            if (left <= std::chrono::steady_clock::duration::zero()) {
                // Give the word back unless set() came in between.
                seen = kSleeping;
                return !word_.compare_exchange_strong(seen, kClear, std::memory_order_acquire);
            }
            auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
            rel.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
            rel.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        }
        // Returns at once (EAGAIN) if set() already changed the word.
        ::syscall(SYS_futex, address(word_), FUTEX_WAIT_PRIVATE, kSleeping,
                  deadline ? &rel : nullptr, nullptr, 0);
        if (word_.load(std::memory_order_acquire) == kSet) {
            return true;
        }
    }
}

}  // namespace tether::detail
