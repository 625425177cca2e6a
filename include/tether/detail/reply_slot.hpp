// Where one reply lands: filled once by the broker thread (or by the router on
// the sending thread, for a local dead reply), waited on by the Receiver's
// thread, optionally announcing itself to a Select. Internal to tether.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "tether/detail/wake_flag.hpp"

namespace tether::detail {

class RouterCore;

// What a Context handle knows: which router, which id, which name. A weak
// reference: a handle outliving its router fails cleanly instead of dangling.
struct ContextRef {
    std::weak_ptr<RouterCore> core;
    std::uint32_t id = 0;
    std::string name;
};

struct Reply {
    bool dead = false;    // payload is then the reason text
    std::string payload;  // status byte + value, or status byte + CallError
};

// The arrival order of a Select's members. Thread safety: any thread.
class SelectQueue {
  public:
    void push(std::size_t index);
    // Throws TimeoutError when `timeout` passes first (nullopt: wait forever).
    std::size_t pop(std::optional<std::chrono::milliseconds> timeout);

  private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::size_t> order_;
};

// Thread safety: deliver() from any thread, the waiting functions from the
// one thread that owns the Receiver or Select.
class ReplySlot {
  public:
    // `function`: the key (function_key) of the exported function a call
    // runs, so that a lost context can say what it was running; nullptr
    // for other requests.
    explicit ReplySlot(ContextRef respondent, const void* function = nullptr)
        : respondent_(std::move(respondent)), function_(function) {}

    // The first reply wins; later ones (a dead reply racing a real one) are
    // dropped. Returns whether this one was taken.
    bool deliver(Reply reply);

    // Blocks until the reply is there (or the timeout passes: TimeoutError)
    // and hands it over; a second take throws tether::Error.
    Reply take(std::optional<std::chrono::milliseconds> timeout);
    bool ready() const;
    bool taken() const;

    // Announces the reply to `queue` as `index` (at once if already here).
    void notify(std::shared_ptr<SelectQueue> queue, std::size_t index);

    const ContextRef& respondent() const noexcept { return respondent_; }
    const void* function() const noexcept { return function_; }

  private:
    mutable std::mutex mutex_;
    WakeFlag arrived_;
    std::optional<Reply> reply_;
    bool taken_ = false;
    std::shared_ptr<SelectQueue> queue_;
    std::size_t index_ = 0;
    ContextRef respondent_;
    const void* function_;
};

}  // namespace tether::detail
