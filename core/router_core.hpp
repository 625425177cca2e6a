// The state behind a Router and its Context handles, composed of parts that
// own their own state: the route table (routes, names, routing policy),
// the pending replies, the set of children and the master's exported calls.
// What stays here: who this context is, sending, what arrives for this
// context, and losing the parent.
// Thread safety: the sending functions from any thread; the on_* functions on
// the broker thread. Each part has its own lock; none is held while another
// part is called, except ChildSet's while it asks the route table (that order
// only).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/broker_impl.hpp"
#include "core/call_port.hpp"
#include "core/child_link.hpp"
#include "core/child_set.hpp"
#include "core/master_calls.hpp"
#include "core/message.hpp"
#include "core/pending_replies.hpp"
#include "core/route_table.hpp"
#include "core/stream.hpp"
#include "tether/detail/reply_slot.hpp"
#include "tether/options.hpp"

namespace tether {
class Router;
}

namespace tether::detail {

class Dispatcher;

class RouterCore final : public std::enable_shared_from_this<RouterCore>,
                         public StreamOwner,
                         public ShutdownParticipant,
                         public CallPort {
  public:
    RouterCore(BrokerImpl& broker, RouterOptions options, Identity identity);
    ~RouterCore() override;

    BrokerImpl& broker() noexcept { return broker_; }
    const RouterOptions& options() const noexcept { return options_; }
    std::uint32_t id() const noexcept { return identity_.id; }
    bool is_master() const noexcept { return identity_.parent_ids.empty(); }
    const std::string& name() const noexcept { return identity_.name; }
    const std::vector<std::uint32_t>& parent_ids() const noexcept { return identity_.parent_ids; }

    ContextRef ref(std::uint32_t id, std::string name);
    ContextRef ref(std::uint32_t id) override;  // name from what this router knows
    std::string name_of(std::uint32_t id) const { return routes_.name_of(id); }

    // Throws if this router can no longer start contexts or send.
    void check_open() const;

    // --- Sending (any thread) ---
    // Sends `payload` to `handle` in context `to` and returns the slot its
    // reply lands in. Failures arrive in the slot as dead replies. A call
    // names its `function` (function_key), for the reason if `to` is lost.
    std::shared_ptr<ReplySlot> request(const ContextRef& to, std::uint32_t handle,
                                       std::string payload, const void* function = nullptr);
    // Routes a message that originates here (src and auth are set here).
    void send(Message message) override;
    // Answers `to` (which arrived here or was about to leave) with a dead reply.
    void reply_dead(const Header& to, const std::string& reason) override;

    // A fresh context id: counted in the master, asked of the master elsewhere.
    std::uint32_t allocate_id();

    // --- Children (broker thread) ---
    // A child being started: shut down with the others from now on. Throws
    // once the router is closed.
    void add_link(std::uint32_t id, const std::string& name, std::shared_ptr<ChildLink> link);
    // The child answered its handshake: route to it, and announce it upward.
    void attach_child(std::uint32_t id, const std::string& name, std::shared_ptr<Stream> stream);
    // The stream to a direct child closed: it is lost for `reason`, and
    // everything behind it with it.
    void child_stream_lost(Stream& stream, const std::string& reason);
    // A direct child has been reaped; its link is dropped.
    void child_gone(std::uint32_t id);
    // Tests: the reply handle the next request from this router will get
    // (what a hostile child would have to guess to forge a reply).
    std::uint32_t next_reply_handle() const noexcept { return pending_.next_handle(); }

    // A line from (or about) context `origin`: logged here in the master,
    // forwarded to the master elsewhere.
    void log_from(std::uint32_t origin, int level, const std::string& logger,
                  const std::string& text);

    // Any thread: asks context `id` to exit; with `wait`, blocks until gone.
    void shutdown_context(std::uint32_t id, bool wait);
    // Any thread: shuts down every direct child and waits (bounded).
    void shutdown_children();
    // Any thread: stop taking part in the broker's shutdown (the Router that
    // owned this core is gone).
    void detach();

    // --- Child side ---
    void set_parent_stream(std::shared_ptr<Stream> stream);
    void set_dispatcher(std::shared_ptr<Dispatcher> dispatcher);
    // Master: opens the exported function `name` to calls from its
    // contexts (`from` decides per caller, empty: all), served by a
    // dispatcher on a thread of its own, started by the first call here.
    void allow_calls(const std::string& name, MasterCalls::Filter from, tether::Router& router) {
        master_calls_.allow(name, std::move(from), router);
    }
    // Closes them again and joins that thread. Idempotent.
    void stop_serving_calls() { master_calls_.stop(); }
    // The stream to the parent (nullptr in the master). Tests use it to
    // speak the protocol badly on purpose.
    std::shared_ptr<Stream> parent_stream() const { return routes_.parent(); }

    // --- StreamOwner: the parent stream, and children after their handshake ---
    void on_message(Stream& stream, Message message) override;
    void on_closed(Stream& stream, const std::string& reason) override;

    void on_broker_shutdown() override;

  private:
    void handle_local(Stream* from, Message message);
    void forward(Stream& from, Message message);
    void deliver_reply(Message message);
    void send_dead(std::uint32_t dst, std::uint32_t handle, const std::string& reason);
    void contexts_lost(const std::vector<std::uint32_t>& ids, const std::string& reason,
                       Stream* from);
    void on_forwarded_log(Stream* from, const Message& message);
    void on_route_added(Stream& from, const Message& message);
    void on_routes_deleted(Stream& from, const Message& message);
    void on_parent_lost(const std::string& reason);
    void on_shutdown_request();
    std::shared_ptr<Dispatcher> current_dispatcher();

    BrokerImpl& broker_;
    const RouterOptions options_;
    const Identity identity_;

    RouteTable routes_;
    PendingReplies pending_;
    ChildSet children_;
    MasterCalls master_calls_;

    std::mutex dispatcher_mutex_;
    std::shared_ptr<Dispatcher> dispatcher_;  // a child's: serves its parent chain
    std::atomic<bool> closed_{false};
    std::atomic<std::uint32_t> next_id_{1};  // master only
};

}  // namespace tether::detail
