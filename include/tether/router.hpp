// The router: routes messages between this process and its contexts, and
// starts new contexts. Resource: one owner, neither copied nor moved; built on
// a Broker that outlives it. Thread safety: every method from any thread; the
// factories block until the context answers or fails.
#pragma once

#include <memory>

#include "tether/broker.hpp"
#include "tether/context.hpp"
#include "tether/options.hpp"

namespace tether {

namespace detail {
class RouterCore;
}

class Router {
  public:
    explicit Router(Broker& broker, RouterOptions options = {});
    // Shuts down the contexts this router started, waiting until they are gone.
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    // Starts this program again as a child process (no shell) connected over a
    // socketpair, here or, with `options.via`, inside that context. Blocks
    // until the child answers the handshake or `options.connect_timeout`
    // passes. Throws ConnectError naming the phase that failed and carrying
    // the child's last output lines.
    Context local(LocalOptions options = {});

    // This program as another user, through sudo (or su). Nothing needs to be
    // installed for that user: the program is shipped over the command's
    // stdin once and cached under ~/.cache/tether (see docs/how-it-works.md).
    // Blocks until the context answers; throws ConnectError naming the phase
    // ('auth', 'bootstrap', 'upload', 'exec', 'handshake') and carrying the
    // last lines printed.
    Context sudo(SudoOptions options = {});
    Context su(SuOptions options = {});

    // This process as a context (id 0 in the master).
    Context myself() const;
    const RouterOptions& options() const noexcept;

    // Internal: the shared state behind this router and its Context handles.
    explicit Router(std::shared_ptr<detail::RouterCore> core);
    detail::RouterCore& core() noexcept { return *core_; }

  private:
    std::shared_ptr<detail::RouterCore> core_;
};

}  // namespace tether
