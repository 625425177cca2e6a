// Every method's options travel as themselves: a `via` start sends the
// options struct as a call argument. One generic cereal `serialize` covers
// every alternative of ContextOptions, field by field in declaration order
// (Boost.PFR), so a field added to an options struct travels with no code of
// its own. Internal: public headers stay free of Boost.
#pragma once

#include <boost/pfr.hpp>
#include <optional>
#include <type_traits>
#include <variant>

#include "tether/detail/wire.hpp"
#include "tether/router.hpp"

namespace tether {

namespace detail {

template <class T, class Variant>
struct is_alternative : std::false_type {};
template <class T, class... A>
struct is_alternative<T, std::variant<A...>> : std::disjunction<std::is_same<T, A>...> {};

// The options struct of a registered method.
template <class T>
concept MethodOptions = is_alternative<T, ContextOptions>::value;

}  // namespace detail

// Found by cereal through ADL (the options live in namespace tether). Every
// field but `via`: the far side starts the context itself, from where it is,
// so it must not be told to go through `via` again (that would recurse, and a
// Context names a context of the sender's router, not of the far side's).
template <class Archive, detail::MethodOptions Options>
void serialize(Archive& ar, Options& options) {
    boost::pfr::for_each_field(options, [&ar](auto& field) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(field)>, std::optional<Context>>) {
            ar(field);
        }
    });
}

}  // namespace tether
