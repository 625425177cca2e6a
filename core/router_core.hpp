// The state behind a Router and its Context handles: routes (context id ->
// stream), reply handles, direct children, and the rules for what arrives.
// Thread safety: the sending functions from any thread; the on_* functions on
// the broker thread. One mutex guards the tables; streams have their own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/broker_impl.hpp"
#include "core/child_link.hpp"
#include "core/message.hpp"
#include "core/stream.hpp"
#include "tether/detail/reply_slot.hpp"
#include "tether/options.hpp"

namespace tether {
class Router;
}

namespace tether::detail {

class Dispatcher;

struct Identity {
    std::uint32_t id = 0;
    std::vector<std::uint32_t> parent_ids;  // nearest first; empty in the master
    std::vector<std::string> parent_names;  // parallel to parent_ids
    std::string name = "master";
};

class RouterCore final : public std::enable_shared_from_this<RouterCore>,
                         public StreamOwner,
                         public ShutdownParticipant {
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
    ContextRef ref(std::uint32_t id);  // name from what this router knows
    std::string name_of(std::uint32_t id);

    // Throws if this router can no longer start contexts or send.
    void check_open() const;

    // --- Sending (any thread) ---
    // Sends `payload` to `handle` in context `to` and returns the slot its
    // reply lands in. Failures arrive in the slot as dead replies.
    std::shared_ptr<ReplySlot> request(const ContextRef& to, std::uint32_t handle,
                                       std::string payload);
    // Routes a message that originates here (src and auth are set here).
    void send(Message message);
    // Answers `to` (which arrived here or was about to leave) with a dead reply.
    void reply_dead(const Message& to, const std::string& reason);

    // A fresh context id: counted in the master, asked of the master elsewhere.
    std::uint32_t allocate_id();

    // --- Children (broker thread) ---
    // A child being started: shut down with the others from now on. Throws
    // once the router is closed.
    void add_link(std::uint32_t id, const std::string& name, std::shared_ptr<ChildLink> link);
    // The child answered its handshake: route to it, and announce it upward.
    void attach_child(std::uint32_t id, const std::string& name, std::shared_ptr<Stream> stream);
    // The stream to a direct child closed: it and everything behind it is lost.
    void child_stream_lost(Stream& stream, const std::string& reason);
    // A direct child has been reaped; its link is dropped.
    void child_gone(std::uint32_t id);
    // Tests: the reply handle the next request from this router will get
    // (what a hostile child would have to guess to forge a reply).
    std::uint32_t next_reply_handle() const noexcept { return next_handle_.load(); }

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
    void allow_calls(const std::string& name, std::function<bool(const tether::Context&)> from,
                     tether::Router& router);
    // Closes them again and joins that thread. Idempotent.
    void stop_serving_calls();
    // The stream to the parent (nullptr in the master). Tests use it to
    // speak the protocol badly on purpose.
    std::shared_ptr<Stream> parent_stream();

    // --- StreamOwner: the parent stream, and children after their handshake ---
    void on_message(Stream& stream, Message message) override;
    void on_closed(Stream& stream, const std::string& reason) override;

    void on_broker_shutdown() override;

  private:
    std::shared_ptr<Stream> route_for(std::uint32_t dst);  // mutex_ held
    bool is_ancestor(std::uint32_t id) const;
    void forget_name_if_gone(std::uint32_t id);  // mutex_ held
    // Whether a message from `stream` may be about context `id`: it is
    // routed through that stream, or unknown here (still starting).
    bool may_speak_for(std::uint32_t id, const Stream& stream);
    // Master: whether `call` names a function allow_calls opened, to its caller.
    bool may_call_master(const Message& call);
    void handle_local(Stream* from, Message message);
    void forward(Stream& from, Message message);
    void deliver_reply(Message message);
    void send_dead(std::uint32_t dst, std::uint32_t handle, const std::string& reason);
    std::string no_route(std::uint32_t dst) const;
    // The message's addressing without its payload (kept to answer it after
    // the payload has been handed on).
    static Message header_of(const Message& message);
    void contexts_lost(const std::vector<std::uint32_t>& ids, const std::string& reason,
                       Stream* from);
    void on_route_added(Stream& from, const Message& message);
    void on_routes_deleted(Stream& from, const Message& message);
    void on_parent_lost(const std::string& reason);
    void on_shutdown_request();
    void fail_all_pending(const std::string& reason);
    std::shared_ptr<Dispatcher> current_dispatcher();
    // The direct children now (called on the links outside the lock).
    std::vector<std::shared_ptr<ChildLink>> current_links();

    BrokerImpl& broker_;
    RouterOptions options_;
    Identity identity_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;  // a context went away
    std::unordered_map<std::uint32_t, std::shared_ptr<Stream>> routes_;
    std::unordered_map<std::uint32_t, std::string> names_;
    std::unordered_map<std::uint32_t, std::shared_ptr<ReplySlot>> pending_;
    std::map<std::uint32_t, std::shared_ptr<ChildLink>> links_;
    std::shared_ptr<Stream> parent_;
    std::shared_ptr<Dispatcher> dispatcher_;
    // Master: the functions open to calls, and the thread serving them.
    std::map<std::string, std::function<bool(const tether::Context&)>> open_functions_;
    std::thread serving_thread_;
    bool closed_ = false;

    std::atomic<std::uint32_t> next_handle_{kFirstDynamicHandle};
    std::atomic<std::uint32_t> next_id_{1};  // master only
};

}  // namespace tether::detail
