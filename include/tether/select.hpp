// Waits on many Receivers at once and yields each result as it arrives,
// exactly once. Move-only; one thread uses it at a time.
//
//   tether::Select<std::string> sel(calls);     // takes the receivers over
//   while (!sel.empty()) {
//       auto done = sel.get(std::chrono::seconds(10));
//       done.context(); done.value();
//   }
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "tether/context.hpp"
#include "tether/errors.hpp"
#include "tether/receiver.hpp"

namespace tether {

template <class T>
class Select {
  public:
    // One arrived result.
    class Done {
      public:
        // The context that answered.
        Context context() const { return Context(slot_->respondent()); }
        // Its result, or throws that call's CallError / ChannelError.
        T value() const { return detail::decode_reply<T>(slot_->respondent(), reply_); }

      private:
        friend class Select;
        Done(std::shared_ptr<detail::ReplySlot> slot, detail::Reply reply)
            : slot_(std::move(slot)), reply_(std::move(reply)) {}

        std::shared_ptr<detail::ReplySlot> slot_;
        detail::Reply reply_;
    };

    Select() = default;
    // Takes over every receiver in `receivers` (they are left empty).
    explicit Select(std::vector<Receiver<T>>& receivers) {
        for (auto& r : receivers) {
            add(std::move(r));
        }
    }
    explicit Select(std::vector<Receiver<T>>&& receivers) : Select(receivers) {}
    Select(Select&&) noexcept = default;
    Select& operator=(Select&&) noexcept = default;

    void add(Receiver<T> receiver) {
        if (!receiver.slot_) {
            throw Error("tether: Select::add of an empty or moved-from Receiver");
        }
        if (receiver.slot_->taken()) {
            throw Error("tether: Select::add of a Receiver whose result was already taken");
        }
        members_.push_back(std::move(receiver.slot_));
        members_.back()->notify(queue_, members_.size() - 1);
        ++pending_;
    }

    // Whether every member has been yielded.
    bool empty() const noexcept { return pending_ == 0; }
    std::size_t size() const noexcept { return pending_; }

    // The next result to arrive. Throws SelectError when empty, TimeoutError
    // when `timeout` passes first (the Select stays usable).
    Done get() { return next(std::nullopt); }
    Done get(std::chrono::milliseconds timeout) { return next(timeout); }

  private:
    Done next(std::optional<std::chrono::milliseconds> timeout) {
        if (pending_ == 0) {
            throw SelectError();
        }
        std::size_t index = queue_->pop(timeout);
        std::shared_ptr<detail::ReplySlot> slot = std::move(members_[index]);
        --pending_;
        detail::Reply reply = slot->take(std::chrono::milliseconds(0));
        return Done(std::move(slot), std::move(reply));
    }

    std::shared_ptr<detail::SelectQueue> queue_ = std::make_shared<detail::SelectQueue>();
    std::vector<std::shared_ptr<detail::ReplySlot>> members_;
    std::size_t pending_ = 0;
};

}  // namespace tether
