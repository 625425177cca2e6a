// TETHER_EXPORT(function): makes a free (or static member) function callable
// from other contexts under its spelled name. Master and children run the same
// program, so both hold the same table of exported functions; only functions
// in it can ever be called. Use at namespace scope, once per function.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "tether/call_context.hpp"
#include "tether/detail/call_codec.hpp"
#include "tether/detail/signature.hpp"
#include "tether/detail/wire.hpp"

namespace tether::detail {

// Decodes the arguments from `in`, runs the function, and writes the reply
// (status byte and value) to `reply`. Exceptions from the function propagate.
using Invoker = void (*)(CallContext& cc, WireReader& in, std::string& reply);

// Called at static initialization; returns true so it can seed a variable.
bool register_export(const void* function, const char* name, Invoker invoke);

template <class F, F Function, class Values, std::size_t... I>
decltype(auto) apply_exported(CallContext& cc, Values& values, std::index_sequence<I...>) {
    using Sig = Signature<F>;
    using Declared = typename Sig::Declared;
    if constexpr (Sig::takes_call_context) {
        return Function(cc,
                        std::forward<std::tuple_element_t<I, Declared>>(std::get<I>(values))...);
    } else {
        (void)cc;
        return Function(std::forward<std::tuple_element_t<I, Declared>>(std::get<I>(values))...);
    }
}

template <class F, F Function>
void invoke_exported(CallContext& cc, WireReader& in, std::string& reply) {
    using Sig = Signature<F>;
    typename Sig::Values values;
    std::apply([&in](auto&... value) { (in(value), ...); }, values);
    if (in.remaining() != 0) {
        throw WireError("call payload has " + std::to_string(in.remaining()) +
                        " bytes past the last argument");
    }
    auto indices = std::make_index_sequence<std::tuple_size_v<typename Sig::Values>>{};
    if constexpr (std::is_void_v<typename Sig::Result>) {
        apply_exported<F, Function>(cc, values, indices);
        encode_exact(reply, kReplyValue);
    } else {
        typename Sig::Result result = apply_exported<F, Function>(cc, values, indices);
        encode_exact(reply, kReplyValue, result);
    }
}

template <auto Function>
bool export_function(const char* name) {
    using F = decltype(Function);
    static_assert(std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>,
                  "TETHER_EXPORT takes a free or static member function");
    return register_export(function_key(Function), name, &invoke_exported<F, Function>);
}

}  // namespace tether::detail

#define TETHER_EXPORT_CONCAT2(a, b) a##b
#define TETHER_EXPORT_CONCAT(a, b) TETHER_EXPORT_CONCAT2(a, b)
#define TETHER_EXPORT(function)                                                              \
    [[maybe_unused]] static const bool TETHER_EXPORT_CONCAT(tether_exported_, __COUNTER__) = \
        ::tether::detail::export_function<&function>(#function)
