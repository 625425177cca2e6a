#include "tether/router.hpp"

#include "core/router_core.hpp"

namespace tether {

Router::Router(Broker& broker, RouterOptions options)
    : core_(std::make_shared<detail::RouterCore>(broker.impl(), options, detail::Identity{})) {}

Router::Router(std::shared_ptr<detail::RouterCore> core) : core_(std::move(core)) {}

Router::~Router() {
    core_->shutdown_children();
}

Context Router::myself() const {
    return Context(core_->ref(core_->id()));
}

const RouterOptions& Router::options() const noexcept {
    return core_->options();
}

}  // namespace tether
