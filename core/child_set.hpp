// The children this router started itself, from spawn until reaped, as
// links that shut them down without core knowing how they were started
// (parent/connection.cpp implements ChildLink), and the waits for them to go.
// Thread safety: any thread. Links are driven on the broker thread, never
// under this set's lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "core/broker_impl.hpp"
#include "core/child_link.hpp"

namespace tether::detail {

class ChildSet {
  public:
    explicit ChildSet(BrokerImpl& broker) : broker_(broker) {}

    // False once closed: the router starts no more children.
    bool add(std::uint32_t id, std::shared_ptr<ChildLink> link);
    // The child has been reaped.
    void remove(std::uint32_t id);
    // No child may be added from now on.
    void close();
    bool linked(std::uint32_t id) const;

    // Begins the graceful shutdown of direct child `id`; false if `id` is not
    // one. Any thread but the broker's (waits for it).
    bool begin_shutdown(std::uint32_t id);
    // Shuts every child down and waits until all are reaped, at most
    // `limit`; any left then are killed and reaped at once. Any thread but
    // the broker's.
    void shutdown_all(std::chrono::milliseconds limit);
    // Broker thread: closes every child's stream and kills it, at once.
    void abort_all();

    // Blocks until `id` is no longer a child and `unrouted()` holds, at most
    // `limit`; false on timeout. `unrouted` runs under this set's lock.
    template <class Unrouted>
    bool wait_gone(std::uint32_t id, Unrouted unrouted, std::chrono::milliseconds limit);
    // What wait_gone looks at changed elsewhere (a route went away).
    void notify();

  private:
    std::vector<std::shared_ptr<ChildLink>> all() const;

    BrokerImpl& broker_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::uint32_t, std::shared_ptr<ChildLink>> links_;
    bool closed_ = false;
};

template <class Unrouted>
bool ChildSet::wait_gone(std::uint32_t id, Unrouted unrouted, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return links_.count(id) == 0 && unrouted(); });
}

}  // namespace tether::detail
