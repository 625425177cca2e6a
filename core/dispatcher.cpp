#include "core/dispatcher.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <typeinfo>

#include "core/log.hpp"
#include "core/registry.hpp"
#include "core/secret_scope.hpp"
#include "core/stream.hpp"
#include "core/throw_trace.hpp"
#include "tether/call_context.hpp"
#include "tether/context.hpp"
#include "tether/detail/wire.hpp"
#include "tether/router.hpp"

namespace tether::detail {
namespace {

constexpr const char* kLog = "tether.dispatcher";

std::string demangle(const char* mangled) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
    return status == 0 && name ? std::string(name.get()) : std::string(mangled);
}

std::string encode_error(const std::string& type, const std::string& message,
                         const std::string& context, const std::string& backtrace) {
    std::string out;
    WireWriter w(out);
    // The call's own Secret arguments stay out of what goes back.
    w(kReplyError, type, redact_decoded(message), context, redact_decoded(backtrace));
    return out;
}

}  // namespace

std::string encode_current_exception(const std::string& context_name) {
    std::string backtrace = last_throw_trace();
    try {
        throw;
    } catch (const CallError& e) {
        // A nested call failed: keep the original's type and trace.
        return encode_error(e.type_name(), e.message(), e.context_name(), e.backtrace());
    } catch (const std::exception& e) {
        return encode_error(demangle(typeid(e).name()), e.what(), context_name, backtrace);
    } catch (...) {
        std::type_info* type = abi::__cxa_current_exception_type();
        std::string name = type != nullptr ? demangle(type->name()) : "unknown";
        return encode_error(name, "non-std::exception thrown: " + name, context_name, backtrace);
    }
}

Dispatcher::Dispatcher(CallPort& port, Router& router, std::string name, std::uint32_t parent)
    : port_(port), router_(router), name_(std::move(name)), parent_(parent) {}

bool Dispatcher::enqueue(Message& call) {
    {
        std::lock_guard lock(mutex_);
        if (closed_) {
            return false;
        }
        queue_.push_back(std::move(call));
    }
    wake_.set();
    return true;
}

bool Dispatcher::busy() {
    std::lock_guard lock(mutex_);
    return busy_;
}

bool Dispatcher::close(Why why) {
    bool busy;
    std::deque<Message> dropped;
    {
        std::lock_guard lock(mutex_);
        if (!closed_) {
            closed_ = true;
            why_ = why;
        }
        busy = busy_;
        dropped.swap(queue_);
    }
    wake_.set();
    for (const Message& m : dropped) {
        port_.reply_dead(m.header, "context " + name_ + " is shutting down");
    }
    return busy;
}

int Dispatcher::run() {
    // While calls wait behind the one running, replies are held back and
    // leave together; a lone call's reply leaves at once.
    std::optional<WriteBatch> batch;
    for (;;) {
        Message call;
        bool more;
        {
            std::unique_lock lock(mutex_);
            busy_ = false;
            if (queue_.empty() && batch) {
                lock.unlock();
                batch.reset();  // everything held leaves before this thread sleeps
                lock.lock();
            }
            for (;;) {
                wake_.clear();
                if (closed_ || !queue_.empty()) {
                    break;
                }
                lock.unlock();
                wake_.wait_until(std::nullopt);
                lock.lock();
            }
            if (closed_) {
                return why_ == Why::shutdown ? 0 : 1;
            }
            call = std::move(queue_.front());
            queue_.pop_front();
            busy_ = true;
            more = !queue_.empty();
        }
        if (more && !batch) {
            batch.emplace();
        }
        serve(std::move(call));
    }
}

void Dispatcher::serve(Message call) {
    std::string reply;
    std::string function = "?";
    ThrowTraceScope trace;
    SecretScope secrets;
    try {
        WireReader in(call.payload);
        in(function);
        Invoker invoke = find_export(function);
        if (invoke == nullptr) {
            throw CallError("tether::NotExported",
                            "function '" + function + "' is not exported in " + name_, name_, "");
        }
        ContextRef caller = port_.ref(call.header.src);
        DecodeScope scope(caller.core);
        CallContext cc(router_, Context(caller), Context(port_.ref(parent_)));
        WriteBatch::Suspend unbatched;
        invoke(cc, in, reply);
    } catch (...) {
        reply = encode_current_exception(name_);
        if (call.header.reply_to == 0) {
            TETHER_LOG(LogLevel::error, kLog, "no-reply call to ", function, " failed");
        }
    }
    if (before_reply_) {
        before_reply_();
    }
    if (call.header.reply_to == 0) {
        return;
    }
    Message m;
    m.header.dst = call.header.src;
    m.header.handle = call.header.reply_to;
    m.payload = std::move(reply);
    port_.send(std::move(m));
}

}  // namespace tether::detail
