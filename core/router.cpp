#include "tether/router.hpp"

#include <cstdlib>

#include "core/child_env.hpp"
#include "core/router_core.hpp"

namespace tether {

namespace {

// A child whose main() never called tether::init would run the master's code
// and start children of its own, without end.
Broker& refuse_unserved_child(Broker& broker) {
    if (std::getenv(detail::kChildEnv) != nullptr) {
        throw Error(
            "tether: this process was started as a tether child but main() did not call "
            "tether::init(argc, argv) or tether::run_with_router first");
    }
    return broker;
}

}  // namespace

Router::Router(Broker& broker, RouterOptions options)
    : core_(std::make_shared<detail::RouterCore>(refuse_unserved_child(broker).impl(), options,
                                                 detail::Identity{})) {}

Router::Router(std::shared_ptr<detail::RouterCore> core) : core_(std::move(core)) {}

Router::~Router() {
    core_->stop_serving_calls();
    core_->shutdown_children();
    core_->detach();
}

void Router::allow_calls_named(const std::string* name, CallerFilter from) {
    if (name == nullptr) {
        throw Error("tether: allow_calls: the function is not exported (TETHER_EXPORT)");
    }
    if (!core_->is_master()) {
        throw Error("tether: allow_calls: only the master opens functions to calls");
    }
    core_->allow_calls(*name, std::move(from), *this);
}

Context Router::myself() const {
    return Context(core_->ref(core_->id()));
}

const RouterOptions& Router::options() const noexcept {
    return core_->options();
}

}  // namespace tether
