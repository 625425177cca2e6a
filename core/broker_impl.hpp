// The broker's insides: an Asio io_context run by one thread. Everything that
// touches a socket, pipe, timer or child process runs there. Internal.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cassert>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "tether/errors.hpp"

// Broker-only code says so; debug builds check it.
#define TETHER_ASSERT_BROKER_THREAD(broker) assert((broker).on_broker_thread())

namespace tether::detail {

// Something that must be wound down before the broker stops: a router and the
// contexts it started. Called on the thread that calls Broker::shutdown().
class ShutdownParticipant {
  public:
    virtual ~ShutdownParticipant() = default;
    // Blocks until the participant's contexts are gone (bounded).
    virtual void on_broker_shutdown() = 0;
};

class BrokerImpl {
  public:
    BrokerImpl();
    ~BrokerImpl();
    BrokerImpl(const BrokerImpl&) = delete;
    BrokerImpl& operator=(const BrokerImpl&) = delete;

    boost::asio::io_context& io() noexcept { return io_; }
    bool on_broker_thread() const noexcept { return std::this_thread::get_id() == thread_id_; }
    // Shutdown has begun: no new contexts may start.
    bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }
    // The loop no longer runs: nothing posted would ever execute.
    bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }

    // Runs `fn` on the broker thread later. Throws tether::Error after shutdown.
    template <class F>
    void post(F&& fn) {
        if (stopped_.load(std::memory_order_acquire)) {
            throw_stopped();
        }
        boost::asio::post(io_, std::forward<F>(fn));
    }

    // Runs `fn` on the broker thread and waits for its result (inline when
    // already there). Exceptions from `fn` are rethrown here.
    template <class F>
    auto post_sync(F&& fn) -> std::invoke_result_t<F> {
        using R = std::invoke_result_t<F>;
        if (on_broker_thread()) {
            return fn();
        }
        std::packaged_task<R()> task(std::forward<F>(fn));
        std::future<R> result = task.get_future();
        post([&task] { task(); });
        return result.get();
    }

    void add_participant(ShutdownParticipant* participant);
    void remove_participant(ShutdownParticipant* participant);

    void shutdown();

  private:
    [[noreturn]] static void throw_stopped();
    void run();

    boost::asio::io_context io_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> stopped_{false};
    std::mutex mutex_;
    std::mutex shutdown_mutex_;
    std::vector<ShutdownParticipant*> participants_;
    std::thread thread_;
    std::thread::id thread_id_;
};

}  // namespace tether::detail
