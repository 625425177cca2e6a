#include "tether/broker.hpp"

#include <algorithm>

#include "core/broker_impl.hpp"
#include "core/log.hpp"

namespace tether::detail {

BrokerImpl::BrokerImpl() : work_(boost::asio::make_work_guard(io_)) {
    // Set here rather than by the thread itself: no handler can run before
    // this constructor returns, and not waiting for the thread to be
    // scheduled saves a context switch on every start (a child makes one).
    thread_ = std::thread([this] { run(); });
    thread_id_ = thread_.get_id();
}

BrokerImpl::~BrokerImpl() {
    shutdown();
}

void BrokerImpl::run() {
    // Nothing escapes the loop: a handler that throws is a bug in tether, and
    // the broker keeps serving every other stream rather than dying with it.
    for (;;) {
        try {
            io_.run();
            return;
        } catch (const std::exception& e) {
            TETHER_LOG(LogLevel::error, "tether.broker", "handler crashed: ", e.what());
        } catch (...) {
            TETHER_LOG(LogLevel::error, "tether.broker", "handler crashed: unknown exception");
        }
    }
}

void BrokerImpl::throw_stopped() {
    throw Error("tether: the broker has shut down; this Router can no longer be used");
}

void BrokerImpl::add_participant(ShutdownParticipant* participant) {
    std::lock_guard lock(mutex_);
    participants_.push_back(participant);
}

void BrokerImpl::remove_participant(ShutdownParticipant* participant) {
    std::lock_guard lock(mutex_);
    participants_.erase(std::remove(participants_.begin(), participants_.end(), participant),
                        participants_.end());
}

void BrokerImpl::shutdown() {
    if (on_broker_thread()) {
        TETHER_LOG(LogLevel::error, "tether.broker", "shutdown() called on the broker thread");
        std::terminate();
    }
    // A second caller waits here until the first has finished.
    std::lock_guard once(shutdown_mutex_);
    if (stopping_.exchange(true)) {
        return;
    }
    std::vector<ShutdownParticipant*> participants;
    {
        std::lock_guard lock(mutex_);
        participants.swap(participants_);
    }
    for (ShutdownParticipant* p : participants) {
        p->on_broker_shutdown();
    }
    stopped_.store(true, std::memory_order_release);
    work_.reset();
    io_.stop();
    thread_.join();
    TETHER_LOG(LogLevel::debug, "tether.broker", "broker stopped");
}

}  // namespace tether::detail

namespace tether {

Broker::Broker() : impl_(std::make_unique<detail::BrokerImpl>()) {}

Broker::~Broker() {
    impl_->shutdown();
}

void Broker::shutdown() {
    impl_->shutdown();
}

}  // namespace tether
