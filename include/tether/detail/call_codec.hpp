// How a call and its reply look inside a message payload (see docs/protocol.md):
//   call:  string function name, then each argument in declaration order
//   reply: u8 status (0 = value follows, 1 = CallError fields follow), value
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "tether/detail/reply_slot.hpp"
#include "tether/detail/signature.hpp"
#include "tether/detail/wire.hpp"
#include "tether/errors.hpp"

namespace tether::detail {

inline constexpr std::uint8_t kReplyValue = 0;
inline constexpr std::uint8_t kReplyError = 1;

// The name a function was exported under, or nullptr.
const std::string* exported_name(const void* function) noexcept;

template <class F>
const void* function_key(F* function) noexcept {
    return reinterpret_cast<const void*>(function);
}

// An argument as the parameter type: itself when it already is one, else
// converted (once, so that sizing and writing see the same value).
template <class D, class A>
decltype(auto) as_parameter(A&& argument) {
    if constexpr (std::is_same_v<std::remove_cvref_t<A>, D>) {
        return static_cast<const D&>(argument);
    } else {
        return D(std::forward<A>(argument));
    }
}

template <class Values, class... A, std::size_t... I>
void encode_arguments(std::string& out, const std::string& name, std::index_sequence<I...>,
                      A&&... arguments) {
    encode_exact(out, name,
                 as_parameter<std::tuple_element_t<I, Values>>(std::forward<A>(arguments))...);
}

// Builds a call payload. Throws CallError when `function` was not exported.
template <class F, class... A>
std::string encode_call(const ContextRef& to, F function, A&&... arguments);

[[noreturn]] void throw_not_exported(const ContextRef& to);
[[noreturn]] void throw_call_error(const ContextRef& from, WireReader& in);
[[noreturn]] void throw_malformed_reply(const ContextRef& from, const char* what);

// Sets which router Context values decode against on this thread, for the
// scope's lifetime.
class DecodeScope {
  public:
    explicit DecodeScope(const std::weak_ptr<RouterCore>& core);
    ~DecodeScope();
    DecodeScope(const DecodeScope&) = delete;
    DecodeScope& operator=(const DecodeScope&) = delete;

  private:
    std::weak_ptr<RouterCore> core_;
    const std::weak_ptr<RouterCore>* previous_;
};

template <class F, class... A>
std::string encode_call(const ContextRef& to, F function, A&&... arguments) {
    const std::string* name = exported_name(function_key(function));
    if (name == nullptr) {
        throw_not_exported(to);
    }
    std::string payload;
    using Values = typename Signature<F>::Values;
    encode_arguments<Values>(payload, *name, std::index_sequence_for<A...>{},
                             std::forward<A>(arguments)...);
    return payload;
}

// Turns a reply into a value of T, or throws the call's error.
template <class T>
T decode_reply(const ContextRef& from, const Reply& reply) {
    if (reply.dead) {
        throw ChannelError(from.name, reply.payload);
    }
    WireReader in(reply.payload);
    std::uint8_t status = 0;
    try {
        in(status);
        if (status == kReplyError) {
            throw_call_error(from, in);
        }
        if (status != kReplyValue) {
            throw_malformed_reply(from, "unknown reply status");
        }
        if constexpr (std::is_void_v<T>) {
            if (in.remaining() != 0) {
                throw_malformed_reply(from, "bytes after the end of the reply");
            }
            return;
        } else {
            DecodeScope scope(from.core);
            T value{};
            in(value);
            if (in.remaining() != 0) {
                throw_malformed_reply(from, "bytes after the end of the reply");
            }
            return value;
        }
    } catch (const cereal::Exception& e) {
        throw_malformed_reply(from, e.what());
    }
}

}  // namespace tether::detail
