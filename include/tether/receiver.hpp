// The pending result of one call_async. Move-only; one owner thread waits on
// it while the broker thread fills it. Destroying it before the reply came is
// fine: the late reply is dropped.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "tether/context.hpp"
#include "tether/detail/call_codec.hpp"
#include "tether/detail/reply_slot.hpp"

namespace tether {

template <class T>
class Select;

template <class T>
class Receiver {
  public:
    Receiver() = default;
    explicit Receiver(std::shared_ptr<detail::ReplySlot> slot) : slot_(std::move(slot)) {}
    Receiver(Receiver&&) noexcept = default;
    Receiver& operator=(Receiver&&) noexcept = default;
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;

    // Blocks for the result; throws the call's CallError or ChannelError.
    // The result can be taken once.
    T get() { return take(std::nullopt); }
    // As get(), but throws TimeoutError after `timeout`; the Receiver stays
    // usable and a later get() still yields the result.
    T get(std::chrono::milliseconds timeout) { return take(timeout); }

    // Stops waiting: a get() that has not had the result yet (waiting now on
    // another thread, or later; here or in a Select) throws ChannelError
    // "the receiver was closed". A result that arrived before is still
    // yielded. The call itself is not cancelled; its late reply is dropped.
    void close() {
        if (slot_) {
            slot_->deliver(detail::Reply{true, "the receiver was closed"});
        }
    }

    // Whether the result (or the error) has arrived.
    bool ready() const { return slot_ && slot_->ready(); }
    // The context the call went to.
    Context context() const { return Context(slot().respondent()); }

  private:
    friend class Select<T>;

    const detail::ReplySlot& slot() const {
        if (!slot_) {
            throw Error("tether: use of an empty or moved-from Receiver");
        }
        return *slot_;
    }

    T take(std::optional<std::chrono::milliseconds> timeout) {
        slot();
        detail::Reply reply = slot_->take(timeout);
        return detail::decode_reply<T>(slot_->respondent(), reply);
    }

    std::shared_ptr<detail::ReplySlot> slot_;
};

}  // namespace tether
