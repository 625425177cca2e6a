#include "tether/context.hpp"

#include "core/message.hpp"
#include "core/router_core.hpp"
#include "tether/detail/call_codec.hpp"

namespace tether::detail {
namespace {

thread_local const std::weak_ptr<RouterCore>* t_decoding = nullptr;

std::shared_ptr<RouterCore> lock_core(const ContextRef& ref) {
    std::shared_ptr<RouterCore> core = ref.core.lock();
    if (!core) {
        if (ref.name.empty()) {
            throw ChannelError("(empty Context)", "this Context handle names no context");
        }
        throw ChannelError(ref.name, "its router no longer exists");
    }
    return core;
}

}  // namespace

std::shared_ptr<ReplySlot> send_call(const ContextRef& to, const void* function,
                                     std::string payload) {
    std::shared_ptr<RouterCore> core = lock_core(to);
    return core->request(to, kCall, std::move(payload), function);
}

void send_call_no_reply(const ContextRef& to, std::string payload) {
    std::shared_ptr<RouterCore> core = lock_core(to);
    core->check_open();
    Message m;
    m.header.dst = to.id;
    m.header.handle = kCall;
    m.payload = std::move(payload);
    core->send(std::move(m));
}

void shutdown_context(const ContextRef& context, bool wait) {
    lock_core(context)->shutdown_context(context.id, wait);
}

ContextRef decode_context(std::uint32_t id, std::string name) {
    ContextRef ref;
    ref.id = id;
    ref.name = std::move(name);
    if (t_decoding != nullptr) {
        ref.core = *t_decoding;
    }
    return ref;
}

DecodeScope::DecodeScope(const std::weak_ptr<RouterCore>& core)
    : core_(core), previous_(t_decoding) {
    t_decoding = &core_;
}

DecodeScope::~DecodeScope() {
    t_decoding = previous_;
}

void throw_not_exported(const ContextRef& to) {
    throw CallError("tether::NotExported",
                    "the function is not exported; add TETHER_EXPORT(function) to the program",
                    to.name, "");
}

void throw_call_error(const ContextRef&, WireReader& in) {
    std::string type, message, context, backtrace;
    in(type, message, context, backtrace);
    throw CallError(std::move(type), std::move(message), std::move(context), std::move(backtrace));
}

void throw_malformed_reply(const ContextRef& from, const char* what) {
    throw ChannelError(from.name, std::string("malformed reply: ") + what);
}

}  // namespace tether::detail

namespace tether {

void Context::shutdown(bool wait) const {
    detail::shutdown_context(ref_, wait);
}

}  // namespace tether
