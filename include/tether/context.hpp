// A handle naming one context (a child process, or the master itself) of one
// Router. Value type: cheap to copy, copies name the same context, usable from
// any thread. The Router must outlive the calls made through it; a handle used
// after its Router is gone throws ChannelError.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "tether/detail/call_codec.hpp"
#include "tether/detail/reply_slot.hpp"
#include "tether/detail/signature.hpp"
#include "tether/errors.hpp"

namespace tether {

template <class T>
class Receiver;

namespace detail {
std::shared_ptr<ReplySlot> send_call(const ContextRef& to, const void* function,
                                     std::string payload);
void send_call_no_reply(const ContextRef& to, std::string payload);
void shutdown_context(const ContextRef& context, bool wait);
ContextRef decode_context(std::uint32_t id, std::string name);
}  // namespace detail

class Context {
  public:
    // An empty handle: calls on it throw ChannelError.
    Context() = default;
    explicit Context(detail::ContextRef ref) : ref_(std::move(ref)) {}

    const std::string& name() const noexcept { return ref_.name; }
    std::uint32_t id() const noexcept { return ref_.id; }

    // Calls `function(arguments...)` in this context and blocks for its
    // result. Arguments are checked against the function's parameters at
    // compile time. Throws CallError (the function threw), ChannelError (the
    // context is gone). Thread safety: any thread.
    template <class R, class... P, class... A>
    auto call(R (*function)(P...), A&&... arguments) const ->
        typename detail::Signature<R (*)(P...)>::Result;

    // Sends the call and returns at once; the Receiver yields the result.
    template <class R, class... P, class... A>
    auto call_async(R (*function)(P...), A&&... arguments) const
        -> Receiver<typename detail::Signature<R (*)(P...)>::Result>;

    // Sends the call; no reply comes back. A failure is logged in the
    // context that ran it.
    template <class R, class... P, class... A>
    void call_no_reply(R (*function)(P...), A&&... arguments) const;

    // Asks the context to exit and returns at once; with `wait`, blocks until
    // it is gone (and, for a direct child, reaped). A context that does not
    // exit in time is sent SIGTERM, then SIGKILL. Thread safety: any thread.
    // Throws TimeoutError if it is still there 30 s later (possible only for
    // a context behind an intermediary that stopped responding).
    void shutdown(bool wait = false) const;

    const detail::ContextRef& ref() const noexcept { return ref_; }

    friend bool operator==(const Context& a, const Context& b) noexcept {
        return a.ref_.id == b.ref_.id && !a.ref_.core.owner_before(b.ref_.core) &&
               !b.ref_.core.owner_before(a.ref_.core);
    }

    // On the wire a Context is its id and name; it decodes against the
    // router of the receiving context.
    template <class Archive>
    void save(Archive& ar) const {
        ar(ref_.id, ref_.name);
    }
    template <class Archive>
    void load(Archive& ar) {
        std::uint32_t id = 0;
        std::string name;
        ar(id, name);
        ref_ = detail::decode_context(id, std::move(name));
    }

  private:
    detail::ContextRef ref_;
};

template <class R, class... P, class... A>
auto Context::call(R (*function)(P...), A&&... arguments) const ->
    typename detail::Signature<R (*)(P...)>::Result {
    return call_async(function, std::forward<A>(arguments)...).get();
}

template <class R, class... P, class... A>
auto Context::call_async(R (*function)(P...), A&&... arguments) const
    -> Receiver<typename detail::Signature<R (*)(P...)>::Result> {
    static_assert(detail::check_call<R (*)(P...), A&&...>(),
                  "tether: the call does not match the exported function's parameters");
    using Result = typename detail::Signature<R (*)(P...)>::Result;
    return Receiver<Result>(
        detail::send_call(ref_, detail::function_key(function),
                          detail::encode_call(ref_, function, std::forward<A>(arguments)...)));
}

template <class R, class... P, class... A>
void Context::call_no_reply(R (*function)(P...), A&&... arguments) const {
    static_assert(detail::check_call<R (*)(P...), A&&...>(),
                  "tether: the call does not match the exported function's parameters");
    detail::send_call_no_reply(ref_,
                               detail::encode_call(ref_, function, std::forward<A>(arguments)...));
}

}  // namespace tether

#include "tether/receiver.hpp"
