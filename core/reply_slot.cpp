#include "tether/detail/reply_slot.hpp"

#include "tether/errors.hpp"

namespace tether::detail {

void SelectQueue::push(std::size_t index) {
    {
        std::lock_guard lock(mutex_);
        order_.push_back(index);
    }
    ready_.notify_one();
}

std::size_t SelectQueue::pop(std::optional<std::chrono::milliseconds> timeout) {
    std::unique_lock lock(mutex_);
    auto has = [&] { return !order_.empty(); };
    if (!timeout) {
        ready_.wait(lock, has);
    } else if (!ready_.wait_for(lock, *timeout, has)) {
        throw TimeoutError("tether: Select::get timed out after " +
                           std::to_string(timeout->count()) + " ms");
    }
    std::size_t index = order_.front();
    order_.pop_front();
    return index;
}

bool ReplySlot::deliver(Reply reply) {
    std::shared_ptr<SelectQueue> queue;
    std::size_t index;
    {
        std::lock_guard lock(mutex_);
        if (reply_ || taken_) {
            return false;
        }
        reply_ = std::move(reply);
        queue = queue_;
        index = index_;
    }
    arrived_.set();
    if (queue) {
        queue->push(index);
    }
    return true;
}

Reply ReplySlot::take(std::optional<std::chrono::milliseconds> timeout) {
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (timeout) {
        deadline = std::chrono::steady_clock::now() + *timeout;
    }
    std::unique_lock lock(mutex_);
    if (taken_) {
        throw Error("tether: the result of this call was already taken");
    }
    for (;;) {
        arrived_.clear();
        if (reply_) {
            break;
        }
        lock.unlock();
        bool woken = arrived_.wait_until(deadline);
        lock.lock();
        if (!woken && !reply_) {
            throw TimeoutError("tether: no reply from " + respondent_.name + " within " +
                               std::to_string(timeout->count()) + " ms");
        }
    }
    taken_ = true;
    Reply reply = std::move(*reply_);
    reply_.reset();
    return reply;
}

bool ReplySlot::taken() const {
    std::lock_guard lock(mutex_);
    return taken_;
}

bool ReplySlot::ready() const {
    std::lock_guard lock(mutex_);
    return reply_.has_value();
}

void ReplySlot::notify(std::shared_ptr<SelectQueue> queue, std::size_t index) {
    bool already;
    {
        std::lock_guard lock(mutex_);
        queue_ = queue;
        index_ = index;
        already = reply_.has_value();
    }
    if (already) {
        queue->push(index);
    }
}

}  // namespace tether::detail
