// The definition of detail::start (parent/method.hpp) and TETHER_METHOD, for
// the transports/ files alone: each says TETHER_METHOD(its options) once.
// Internal.
#pragma once

#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include "parent/method.hpp"
#include "parent/options_wire.hpp"
#include "parent/start_child.hpp"
#include "tether/call_context.hpp"
#include "tether/export.hpp"
#include "tether/receiver.hpp"

namespace tether::detail {

// Runs inside `via`: starts the context there, from that context's router.
// Returns its handle, which decodes in the caller as a Context routed through
// `via`. Exported once per method by TETHER_METHOD.
template <class Options>
Context start_remote(CallContext& cc, Options options) {
    return start(cc.router(), std::move(options));
}

template <class Options>
Context start(Router& router, Options options) {
    using M = Method<Options>;
    if constexpr (requires { M::prepare(router, options); }) {
        // A method may settle its options here, where the start was asked
        // for, before they travel to `via` (ssh reads the client config).
        // Throws ConnectError.
        M::prepare(router, options);
    }
    const std::string name = options.name.empty() ? M::default_name(options) : options.name;
    // What a failure is called when the context never got a name of its own.
    const std::string error_name = name.empty() ? std::string(M::kind) : name;
    try {
        if (options.via) {
            Context via = *options.via;
            options.via.reset();  // the options travel without it (options_wire.hpp)
            auto reply = via.call_async(start_remote<Options>, options);
            try {
                // The far side enforces the connect timeout; this wait only
                // guards against `via` itself going silent.
                return reply.get(options.connect_timeout + std::chrono::seconds(5));
            } catch (const CallError& e) {
                rethrow_via_failure(via, M::kind, e);
            }
        }
        return M::start_here(router, options, name);
    } catch (const ConnectError&) {
        throw;
    } catch (const std::exception& e) {
        throw ConnectError(error_name, e.what());
    } catch (...) {
        throw ConnectError(error_name, "unknown exception");
    }
}

}  // namespace tether::detail

// Registers the method of `OptionsType` (a tether:: options struct, spelled
// fully qualified) in its transports/ file: defines detail::start for it and
// exports the function a `via` start calls on the far side.
#define TETHER_METHOD(OptionsType)                                                                 \
    template ::tether::Context tether::detail::start<OptionsType>(::tether::Router&, OptionsType); \
    TETHER_EXPORT(tether::detail::start_remote<OptionsType>)
