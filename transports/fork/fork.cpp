// The `fork` method: a child forked by this router's fork server (a copy of
// this program that has run nothing but its static initialization), which
// then takes the ordinary child path over a socketpair. No exec, no dynamic
// loading, no start-up of the program: a start costs a fork of a small
// single-threaded process and the handshake.
#include "parent/method_impl.hpp"
#include "transports/fork/fork_server_link.hpp"

namespace tether::detail {

template <>
struct Method<ForkOptions> {
    static constexpr const char* kind = "fork";

    // Empty: named fork.<pid> once the child runs.
    static std::string default_name(const ForkOptions&) { return {}; }

    static Context start_here(Router& router, ForkOptions& options, const std::string& name) {
        ChildSpec spec{kind, name, options.remote_name, options.connect_timeout, options.debug};
        const std::string error_name = name.empty() ? std::string(kind) : name;
        // A server found dead during the fork (killed while idle, say) is
        // replaced once; a second failure is the answer.
        for (int attempt = 1;; ++attempt) {
            std::shared_ptr<ForkServerLink> server = ForkServerLink::of(router.core(), error_name);
            struct PrepareNext {
                ForkServerLink& server;
                ~PrepareNext() { server.prepare_next(); }
            } prepare_next{*server};
            try {
                return start_child(router.core(), spec, [&](const BootConfig&) {
                    return server->fork(options.env, options.connect_timeout, error_name);
                });
            } catch (const ForkServerGone& e) {
                if (attempt == 2) {
                    throw ConnectError(e.context_name(), e.reason(), e.diagnostics());
                }
            }
        }
    }
};

}  // namespace tether::detail

TETHER_METHOD(tether::ForkOptions);

namespace tether {

Context Router::fork(ForkOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
