// Waits on many Receivers (and Latches) at once and yields each result as
// it arrives, exactly once. Move-only; one thread uses it at a time.
//
//   tether::Select<std::string> sel(calls);     // takes the receivers over
//   while (!sel.empty()) {
//       auto done = sel.get(std::chrono::seconds(10));
//       done.context(); done.value();
//   }
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "tether/context.hpp"
#include "tether/errors.hpp"
#include "tether/latch.hpp"
#include "tether/receiver.hpp"

namespace tether {

template <class T>
class Select {
    // What a latch member yields (a Select<void> has no latches).
    using Item = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  public:
    // One arrived result: a call's, or an item of a latch.
    class Done {
      public:
        // The context that answered. Throws tether::Error for a latch's item.
        Context context() const {
            if (!slot_) {
                throw Error("tether: Select::Done::context() of a Latch's item");
            }
            return Context(slot_->respondent());
        }
        // Its result, or throws that call's CallError / ChannelError.
        T value() const {
            if constexpr (std::is_void_v<T>) {
                detail::decode_reply<T>(slot_->respondent(), reply_);
            } else {
                if (item_) {
                    return *item_;
                }
                return detail::decode_reply<T>(slot_->respondent(), reply_);
            }
        }
        // Whether it came from a latch rather than a call.
        bool from_latch() const noexcept { return !slot_; }

      private:
        friend class Select;
        Done(std::shared_ptr<detail::ReplySlot> slot, detail::Reply reply)
            : slot_(std::move(slot)), reply_(std::move(reply)) {}
        explicit Done(Item item) : item_(std::move(item)) {}

        std::shared_ptr<detail::ReplySlot> slot_;
        detail::Reply reply_;
        std::optional<Item> item_;
    };

    Select() = default;
    // Takes over every receiver in `receivers` (they are left empty).
    explicit Select(std::vector<Receiver<T>>& receivers) {
        for (auto& r : receivers) {
            add(std::move(r));
        }
    }
    explicit Select(std::vector<Receiver<T>>&& receivers) : Select(receivers) {}
    Select(Select&& other) noexcept
        : queue_(std::move(other.queue_)),
          members_(std::move(other.members_)),
          pending_(std::exchange(other.pending_, 0)) {
        other.members_.clear();
    }
    Select& operator=(Select&& other) noexcept {
        if (this != &other) {
            release();
            queue_ = std::move(other.queue_);
            members_ = std::move(other.members_);
            pending_ = std::exchange(other.pending_, 0);
            other.members_.clear();
        }
        return *this;
    }
    ~Select() { release(); }

    void add(Receiver<T> receiver) {
        if (!receiver.slot_) {
            throw Error("tether: Select::add of an empty or moved-from Receiver");
        }
        if (receiver.slot_->taken()) {
            throw Error("tether: Select::add of a Receiver whose result was already taken");
        }
        members_.push_back(Member{std::move(receiver.slot_), nullptr});
        members_.back().slot->notify(queue(), members_.size() - 1);
        ++pending_;
    }

    // Waits on `latch` too: each item it holds or is given is yielded once
    // (unless another consumer takes it first), and the latch stays a member
    // until it is closed and drained. A latch is in one Select at a time
    // (tether::Error otherwise) until that Select removes it, is closed or
    // is destroyed.
    void add(const Latch<Item>& latch) requires(!std::is_void_v<T>) {
        members_.push_back(Member{nullptr, latch.state_});
        try {
            latch.state_->notify(queue(), members_.size() - 1);
        } catch (...) {
            members_.pop_back();
            throw;
        }
        ++pending_;
    }

    // Stops waiting on `latch` (its items stay in it). Returns whether it
    // was a member.
    bool remove(const Latch<Item>& latch) requires(!std::is_void_v<T>) {
        for (Member& m : members_) {
            if (m.latch == latch.state_) {
                m.latch->forget(queue_.get());
                m.latch.reset();
                --pending_;
                return true;
            }
        }
        return false;
    }

    // Drops every member: latches are released (their items stay in them),
    // results still to come are dropped. The select is then empty and can
    // take new members.
    void close() noexcept {
        release();
        members_.clear();
        queue_.reset();
        pending_ = 0;
    }

    // Whether get() would return a result now, without waiting: a member's
    // reply has arrived, or a latch member holds an item (which another
    // consumer of that latch may still take first).
    bool ready() const {
        for (const Member& m : members_) {
            if (m.slot && m.slot->ready()) {
                return true;
            }
            if constexpr (!std::is_void_v<T>) {
                if (m.latch && m.latch->size() > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    // Whether every member has been yielded (and every latch closed and
    // drained).
    bool empty() const noexcept { return pending_ == 0; }
    // Members not yet done: receivers not yielded, latches not drained.
    std::size_t size() const noexcept { return pending_; }

    // The next result to arrive. Throws SelectError when empty (also when
    // the last member, a latch, is closed while this waits), TimeoutError
    // when `timeout` passes first (the Select stays usable).
    Done get() { return next(std::nullopt); }
    Done get(std::chrono::milliseconds timeout) { return next(timeout); }

  private:
    struct Member {
        std::shared_ptr<detail::ReplySlot> slot;
        std::shared_ptr<detail::LatchState<Item>> latch;
    };

    const std::shared_ptr<detail::SelectQueue>& queue() {
        if (!queue_) {
            queue_ = std::make_shared<detail::SelectQueue>();
        }
        return queue_;
    }

    Done next(std::optional<std::chrono::milliseconds> timeout) {
        using Clock = std::chrono::steady_clock;
        const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
        for (;;) {
            if (pending_ == 0) {
                throw SelectError();
            }
            std::optional<std::chrono::milliseconds> left;
            if (timeout) {
                left = std::max(
                    std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
            }
            std::size_t index;
            try {
                index = queue_->pop(left);
            } catch (const TimeoutError&) {
                throw TimeoutError("tether: Select::get timed out after " +
                                   std::to_string(timeout->count()) + " ms");
            }
            Member& member = members_[index];
            if (member.slot) {
                std::shared_ptr<detail::ReplySlot> slot = std::move(member.slot);
                --pending_;
                detail::Reply reply = slot->take(std::chrono::milliseconds(0));
                return Done(std::move(slot), std::move(reply));
            }
            if constexpr (!std::is_void_v<T>) {
                if (member.latch) {
                    if (std::optional<Item> item = member.latch->try_get()) {
                        return Done(std::move(*item));
                    }
                    if (member.latch->drained()) {
                        member.latch->forget(queue_.get());
                        member.latch.reset();
                        --pending_;
                    }
                }
            }
            // Otherwise an announcement whose item another consumer took.
        }
    }

    void release() noexcept {
        if constexpr (!std::is_void_v<T>) {
            for (Member& m : members_) {
                if (m.latch) {
                    m.latch->forget(queue_.get());
                }
            }
        }
    }

    std::shared_ptr<detail::SelectQueue> queue_;
    std::vector<Member> members_;
    std::size_t pending_ = 0;
};

}  // namespace tether
