// The router: routes messages between this process and its contexts, and
// starts new contexts. Resource: one owner, neither copied nor moved; built on
// a Broker that outlives it. Thread safety: every method from any thread; the
// factories block until the context answers or fails.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tether/broker.hpp"
#include "tether/context.hpp"
#include "tether/errors.hpp"
#include "tether/options.hpp"

namespace tether {

// The options of any method, for start and start_all. Each alternative is a
// method's registration: its transports/ file defines how it starts
// (parent/method.hpp), and `via`, default names and start_all follow.
using ContextOptions = std::variant<LocalOptions, SudoOptions, SuOptions, SshOptions, ForkOptions,
                                    DockerOptions, PodmanOptions, LxcOptions, KubectlOptions,
                                    SetnsOptions, DoasOptions, ChrootOptions>;

// One context start_all started, or why it could not.
struct StartResult {
    std::optional<Context> context;
    std::optional<ConnectError> error;

    bool ok() const noexcept { return context.has_value(); }
    // The context, or throws the ConnectError.
    Context& get() {
        if (!context) {
            throw *error;
        }
        return *context;
    }
};

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

    // One factory per method, each the same as start() with its options:
    // shared/API.md fixes these names, so a method's entry here is part of
    // the public API along with its options struct.

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

    // This program on another machine over SSH, named ssh.<host>:<port>.
    // Throws ConnectError for an unreachable host, a refused or changed host
    // key (with its fingerprint and the known_hosts file), failed
    // authentication (with every method tried), or a failed bootstrap.
    Context ssh(SshOptions options);

    // This program forked from a pristine copy of itself (the router's fork
    // server, started at the first fork), here or inside `options.via`:
    // a start costs a fork and the handshake, not a program start. Named
    // fork.<pid>. Blocks and throws as local().
    Context fork(ForkOptions options = {});

    // This program inside a container (docker, podman, LXD's lxc, a
    // Kubernetes pod through kubectl), through the tool's exec and the shell
    // bootstrap: shipped into the container once and cached there. Blocks
    // until the context answers; throws ConnectError carrying the tool's own
    // words ("Error: No such container: x").
    Context docker(DockerOptions options);
    Context podman(PodmanOptions options);
    Context lxc(LxcOptions options);
    Context kubectl(KubectlOptions options);

    // This program inside the namespaces of a running process, or in a
    // named network namespace, through nsenter (as root). Throws
    // ConnectError as the container methods do.
    Context setns(SetnsOptions options);

    // This program as another user through doas (named doas.<username>), as
    // sudo above. Throws ConnectError as sudo does, with doas's own words.
    Context doas(DoasOptions options = {});

    // This program inside the root directory `options.path` through chroot
    // (named chroot.<path>). Throws ConnectError with chroot's own words for
    // a missing root or one without /bin/sh.
    Context chroot(ChrootOptions options);

    // Starts a context by the method whose options `options` holds: the same
    // as calling that method's factory (local, sudo, su, ssh) with them.
    Context start(const ContextOptions& options);

    // Starts every context at once, by any method, and returns when each is
    // up or has failed: one result per option set, in the same order. At
    // most `max_in_flight` starts run at a time (0: all of them, up to 256).
    std::vector<StartResult> start_all(const std::vector<ContextOptions>& options,
                                       std::size_t max_in_flight = 0);

    // Who may call a function allow_calls opened: given the calling
    // context, true to serve the call. Runs on the broker thread: it must
    // not block or make calls.
    using CallerFilter = std::function<bool(const Context& caller)>;

    // The master serves no calls: a context calling into it gets
    // ChannelError "refused by policy". This opens one exported function to
    // calls from the contexts of this tree (`from`, if given, picks which).
    // Opened functions run on a thread of the router's own, one call at a
    // time in arrival order, until the router is destroyed. Master only;
    // throws tether::Error in a child or for a function not exported.
    template <class R, class... P>
    void allow_calls(R (*function)(P...), CallerFilter from = {});

    // This process as a context (id 0 in the master).
    Context myself() const;
    const RouterOptions& options() const noexcept;

    // Internal: the shared state behind this router and its Context handles.
    explicit Router(std::shared_ptr<detail::RouterCore> core);
    detail::RouterCore& core() noexcept { return *core_; }

  private:
    void allow_calls_named(const std::string* name, CallerFilter from);

    std::shared_ptr<detail::RouterCore> core_;
};

template <class R, class... P>
void Router::allow_calls(R (*function)(P...), CallerFilter from) {
    allow_calls_named(detail::exported_name(detail::function_key(function)), std::move(from));
}

}  // namespace tether
