// What a Latch's handles share: the queued items, whether it is closed, and
// the one Select it announces its items to. Internal to tether.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "tether/detail/reply_slot.hpp"
#include "tether/errors.hpp"

namespace tether::detail {

// Thread safety: any thread, every member.
template <class T>
class LatchState {
  public:
    void put(T value) {
        std::shared_ptr<SelectQueue> queue;
        {
            std::lock_guard lock(mutex_);
            if (closed_) {
                throw Error("tether: Latch::put on a closed latch");
            }
            items_.push_back(std::move(value));
            queue = queue_;
        }
        arrived_.notify_one();
        if (queue) {
            queue->push(index_);
        }
    }

    // The oldest item, waiting for one; nullopt once closed and drained.
    // Throws TimeoutError when `timeout` passes first.
    std::optional<T> get(std::optional<std::chrono::milliseconds> timeout) {
        std::unique_lock lock(mutex_);
        auto here = [this] { return !items_.empty() || closed_; };
        if (!timeout) {
            arrived_.wait(lock, here);
        } else if (!arrived_.wait_for(lock, *timeout, here)) {
            throw TimeoutError("tether: Latch::get timed out after " +
                               std::to_string(timeout->count()) + " ms");
        }
        return pop(lock);
    }

    // Without waiting: the oldest item, or nullopt.
    std::optional<T> try_get() {
        std::unique_lock lock(mutex_);
        return pop(lock);
    }

    void close() {
        std::shared_ptr<SelectQueue> queue;
        {
            std::lock_guard lock(mutex_);
            if (closed_) {
                return;
            }
            closed_ = true;
            queue = queue_;
        }
        arrived_.notify_all();
        if (queue) {
            queue->push(index_);  // once more: the Select drops the latch
        }
    }

    bool closed() const {
        std::lock_guard lock(mutex_);
        return closed_;
    }
    bool drained() const {
        std::lock_guard lock(mutex_);
        return closed_ && items_.empty();
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return items_.size();
    }

    // Announces every item, present and future, and the close, to `queue`
    // as `index`. Throws tether::Error if another Select has it.
    void notify(std::shared_ptr<SelectQueue> queue, std::size_t index) {
        std::lock_guard lock(mutex_);
        if (queue_) {
            throw Error("tether: Select::add of a Latch that is in another Select");
        }
        queue_ = queue;
        index_ = index;
        for (std::size_t i = 0; i < items_.size(); ++i) {
            queue->push(index);
        }
        if (closed_) {
            queue->push(index);
        }
    }

    // The Select it was in is gone: another may take it.
    void forget(const SelectQueue* queue) {
        std::lock_guard lock(mutex_);
        if (queue_.get() == queue) {
            queue_.reset();
        }
    }

  private:
    std::optional<T> pop(std::unique_lock<std::mutex>&) {
        if (items_.empty()) {
            return std::nullopt;
        }
        std::optional<T> item(std::move(items_.front()));
        items_.pop_front();
        return item;
    }

    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    std::deque<T> items_;
    bool closed_ = false;
    std::shared_ptr<SelectQueue> queue_;
    std::size_t index_ = 0;
};

}  // namespace tether::detail
