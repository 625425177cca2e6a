// What a Dispatcher needs of its router: to answer calls, and to name the
// contexts they come from. RouterCore implements it; a dispatcher sees no
// more of the router than this. Thread safety: any thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/message.hpp"
#include "tether/detail/reply_slot.hpp"

namespace tether::detail {

class CallPort {
  public:
    virtual ~CallPort() = default;
    // Routes a message that originates here.
    virtual void send(Message message) = 0;
    // Answers the sender of `to` with a dead reply, if it waits for one.
    virtual void reply_dead(const Header& to, const std::string& reason) = 0;
    // A handle on context `id`, named as this router knows it; its `core`
    // is what Contexts decoded from a call's arguments are bound to.
    virtual ContextRef ref(std::uint32_t id) = 0;
};

}  // namespace tether::detail
