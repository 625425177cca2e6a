// Compile-time facts about an exported function: its parameters as sent on
// the wire (without a leading CallContext&) and its result type.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace tether {
class CallContext;
}

namespace tether::detail {

template <class... P>
struct WireParams {
    static constexpr bool takes_call_context = false;
    using Declared = std::tuple<P...>;
    using Values = std::tuple<std::remove_cvref_t<P>...>;
};

template <class... P>
struct WireParams<CallContext&, P...> {
    static constexpr bool takes_call_context = true;
    using Declared = std::tuple<P...>;
    using Values = std::tuple<std::remove_cvref_t<P>...>;
};

template <class F>
struct Signature;

template <class R, class... P>
struct Signature<R (*)(P...)> : WireParams<P...> {
    using Result = std::remove_cvref_t<R>;
};

template <class R, class... P>
struct Signature<R (*)(P...) noexcept> : Signature<R (*)(P...)> {};

// One parameter check, as its own template so that a compiler error names
// the argument's position and both types: check_argument<1, int, const char*>.
template <std::size_t Position, class Parameter, class Argument>
constexpr bool check_argument() {
    static_assert(std::is_convertible_v<Argument, Parameter>,
                  "tether: this argument cannot be converted to the exported function's "
                  "parameter type (see check_argument<position, parameter, argument> below)");
    return std::is_convertible_v<Argument, Parameter>;
}

template <class Values, class... A, std::size_t... I>
constexpr bool check_arguments(std::index_sequence<I...>) {
    return (check_argument<I + 1, std::tuple_element_t<I, Values>, A>() && ...);
}

template <class F, class... A>
constexpr bool check_call() {
    using Values = typename Signature<F>::Values;
    static_assert(std::tuple_size_v<Values> == sizeof...(A),
                  "tether: wrong number of arguments for the exported function");
    if constexpr (std::tuple_size_v<Values> == sizeof...(A)) {
        return check_arguments<Values, A...>(std::index_sequence_for<A...>{});
    } else {
        return false;
    }
}

}  // namespace tether::detail
