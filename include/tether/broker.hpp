// The broker: one private thread running the process's IO loop. Every socket
// and pipe of the process is read and watched there. Resource: one owner,
// neither copied nor moved; it must outlive every Router built on it.
// Thread safety: shutdown() from any thread except the broker's own.
#pragma once

#include <memory>

namespace tether {

namespace detail {
class BrokerImpl;
}

class Broker {
  public:
    // Starts the broker thread.
    Broker();
    // Shuts down (see shutdown()) if that was not done yet.
    ~Broker();
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;

    // Shuts down every context started by Routers on this broker (graceful
    // SHUTDOWN, then SIGTERM, then SIGKILL; all reaped), fails every waiter
    // with ChannelError, and joins the thread. Idempotent. Afterwards every
    // use of the Routers fails fast with a clear error.
    void shutdown();

    detail::BrokerImpl& impl() noexcept { return *impl_; }

  private:
    std::unique_ptr<detail::BrokerImpl> impl_;
};

}  // namespace tether
