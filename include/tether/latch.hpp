// A queue between threads of one process: producers put, consumers get in
// the order put, each item once; closing it wakes every waiter. A Select
// waits on latches beside call results (Select<T>::add(latch)).
//
//   tether::Latch<std::string> lines;
//   std::thread producer([lines]() mutable { lines.put("a"); lines.close(); });
//   while (std::optional<std::string> line = lines.get()) { ... }
//
// A Latch is a handle: copies share one queue. Thread safety: any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "tether/detail/latch_state.hpp"

namespace tether {

template <class T>
class Select;

template <class T>
class Latch {
    static_assert(!std::is_void_v<T> && !std::is_reference_v<T>,
                  "a Latch holds values: Latch<T> with T an object type");

  public:
    Latch() : state_(std::make_shared<detail::LatchState<T>>()) {}

    // Queues `value`. Throws tether::Error once the latch is closed.
    void put(T value) { state_->put(std::move(value)); }

    // The oldest item, blocking until there is one; std::nullopt once the
    // latch is closed and every item has been taken.
    std::optional<T> get() { return state_->get(std::nullopt); }
    // As get(), but throws TimeoutError when `timeout` passes first.
    std::optional<T> get(std::chrono::milliseconds timeout) { return state_->get(timeout); }

    // No more puts; the items already queued can still be taken. Wakes
    // every get() that waits on an empty latch. Idempotent.
    void close() { state_->close(); }

    bool closed() const { return state_->closed(); }
    // Items queued and not yet taken.
    std::size_t size() const { return state_->size(); }

  private:
    friend class Select<T>;
    std::shared_ptr<detail::LatchState<T>> state_;
};

}  // namespace tether
