// The replies this router waits for: each request's reply handle and the
// slot its answer lands in. Pure bookkeeping, tested without processes
// (tests/pending_replies_test.cpp). Thread safety: any thread; slots are
// filled outside the lock (filling one wakes its waiter).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/message.hpp"
#include "tether/detail/reply_slot.hpp"

namespace tether::detail {

class PendingReplies {
  public:
    // Registers `slot` under a fresh reply handle and returns it; nullopt
    // once closed (the slot is not kept then).
    std::optional<std::uint32_t> add(std::shared_ptr<ReplySlot> slot);

    // The handle the next add() will return (tests: what a hostile child
    // would have to guess to forge a reply).
    std::uint32_t next_handle() const noexcept { return next_handle_.load(); }

    enum class Delivery {
        delivered,
        unknown_handle,  // nobody waits on it (any more)
        wrong_sender,    // only the context asked may answer; dropped
    };
    // Hands `reply` to the slot waiting on its handle. Anyone on the way may
    // declare the respondent unreachable (a dead reply); a live reply must
    // come from the respondent itself.
    Delivery deliver(Message reply);

    // Fails, with `reason`, every reply expected from one of `ids`. The
    // oldest call waiting on each is the one it was running (a context
    // serves calls in order, and replies travel ahead of the loss): its
    // reason ends "while running <function>".
    void fail_from(const std::vector<std::uint32_t>& ids, const std::string& reason);

    // Fails everything pending with `reason`; later add()s are refused.
    void close(const std::string& reason);

  private:
    std::atomic<std::uint32_t> next_handle_{kFirstDynamicHandle};
    std::mutex mutex_;
    std::unordered_map<std::uint32_t, std::shared_ptr<ReplySlot>> slots_;
    bool closed_ = false;
};

}  // namespace tether::detail
