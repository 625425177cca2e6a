#include "core/master_calls.hpp"

#include "core/log.hpp"
#include "tether/context.hpp"
#include "tether/detail/wire.hpp"

namespace tether::detail {

void MasterCalls::allow(const std::string& name, Filter from, tether::Router& router) {
    std::lock_guard lock(mutex_);
    open_[name] = std::move(from);
    if (dispatcher_ == nullptr) {
        // The master is its own parent.
        dispatcher_ = std::make_shared<Dispatcher>(port_, router, name_, 0);
        thread_ = std::thread([dispatcher = dispatcher_] { dispatcher->run(); });
    }
}

bool MasterCalls::may_call(const Message& call) {
    std::string function;
    try {
        WireReader in(call.payload);
        in(function);
    } catch (const cereal::Exception&) {
        return false;
    }
    Filter from;
    {
        std::lock_guard lock(mutex_);
        auto it = open_.find(function);
        if (it == open_.end()) {
            return false;
        }
        from = it->second;
    }
    try {
        return !from || from(tether::Context(port_.ref(call.header.auth)));
    } catch (...) {
        // The program's filter runs on the broker thread: nothing it throws
        // may escape into the event loop.
        TETHER_LOG(LogLevel::error, "tether.router", "the allow_calls filter of ", function,
                   " threw: refusing the call");
        return false;
    }
}

bool MasterCalls::admit(Message& call) {
    if (!may_call(call)) {
        return false;
    }
    std::shared_ptr<Dispatcher> dispatcher;
    {
        std::lock_guard lock(mutex_);
        dispatcher = dispatcher_;
    }
    if (dispatcher == nullptr || !dispatcher->enqueue(call)) {
        port_.reply_dead(call.header, "context " + name_ + " is shutting down");
    }
    return true;
}

void MasterCalls::stop() {
    std::shared_ptr<Dispatcher> dispatcher;
    {
        std::lock_guard lock(mutex_);
        open_.clear();
        dispatcher = std::move(dispatcher_);
    }
    if (dispatcher != nullptr) {
        dispatcher->close(Dispatcher::Why::shutdown);
    }
    if (thread_.joinable()) {
        thread_.join();
    }
}

}  // namespace tether::detail
