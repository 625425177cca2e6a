// The seam every connection method plugs into. A method is one file in
// transports/ that specializes Method<Options> for its options struct and
// says TETHER_METHOD(Options) once (parent/method_impl.hpp); its options
// struct is an alternative of ContextOptions (tether/router.hpp), which is
// its registration. Names, `via`, start_all and the error for a failed start
// are then the same for every method. Internal.
#pragma once

#include <string>

#include "tether/context.hpp"
#include "tether/router.hpp"

namespace tether::detail {

// Specialized by each method, in its own transports/ file:
//
//   template <> struct Method<SudoOptions> {
//       static constexpr const char* kind = "sudo";
//       // The name when options.name is empty; empty: the method names the
//       // context once it runs (local.<pid>).
//       static std::string default_name(const SudoOptions& options);
//       // Starts the context from this process (options.via is empty).
//       // `name`: options.name or default_name. Throws ConnectError.
//       static Context start_here(Router& router, SudoOptions& options,
//                                 const std::string& name);
//       // Optional: runs first, where the start is asked for, even when
//       // it then goes to options.via. Throws ConnectError.
//       static void prepare(Router& router, SudoOptions& options);
//   };
template <class Options>
struct Method;

// Starts a context by the method of `Options`, here or inside options.via.
// Blocks until the context answers; throws ConnectError (any other failure
// is turned into one, named for the context). Thread safety: any thread.
//
// Defined in parent/method_impl.hpp, which only transports include, and
// explicitly instantiated there by each method's TETHER_METHOD line. Other
// translation units (the Router factories, Router::start, start_all) see this
// declaration alone: an explicit instantiation definition in one translation
// unit provides the specialization to every other ([temp.explicit]).
template <class Options>
Context start(Router& router, Options options);

}  // namespace tether::detail
