#include "core/router_core.hpp"

#include <boost/asio/steady_timer.hpp>

#include <unistd.h>

#include "core/dispatcher.hpp"
#include "core/log.hpp"
#include "core/protocol.hpp"
#include "tether/errors.hpp"

namespace tether::detail {
namespace {

constexpr const char* kLog = "tether.router";
// How long shutdown_children() waits for every child to be reaped. Each child
// is escalated to SIGKILL well within it (see parent/connection.cpp).
constexpr auto kChildrenShutdownLimit = std::chrono::seconds(15);
// How long Context::shutdown(true) waits before it throws TimeoutError.
constexpr auto kShutdownWaitLimit = std::chrono::seconds(30);
// How long a child asked to shut down lets a running call finish before it
// exits anyway (its parent sends SIGTERM later still).
constexpr auto kBusyShutdownGrace = std::chrono::milliseconds(2000);

}  // namespace

RouterCore::RouterCore(BrokerImpl& broker, RouterOptions options, Identity identity)
    : broker_(broker),
      options_(options),
      identity_(std::move(identity)),
      routes_(identity_, options_.unidirectional),
      children_(broker),
      master_calls_(*this, identity_.name) {
    broker_.add_participant(this);
}

// Leaves the broker alone: the last reference may go while the broker's
// io_context destroys its handlers. detach() is the way out of the broker.
RouterCore::~RouterCore() = default;

void RouterCore::detach() {
    broker_.remove_participant(this);
}

ContextRef RouterCore::ref(std::uint32_t id, std::string name) {
    return ContextRef{weak_from_this(), id, std::move(name)};
}

ContextRef RouterCore::ref(std::uint32_t id) {
    return ref(id, name_of(id));
}

void RouterCore::check_open() const {
    if (closed_ || broker_.stopping()) {
        throw Error("tether: the router of " + identity_.name +
                    " has shut down and can no longer be used");
    }
}

std::shared_ptr<ReplySlot> RouterCore::request(const ContextRef& to, std::uint32_t handle,
                                               std::string payload, const void* function) {
    auto slot = std::make_shared<ReplySlot>(to, function);
    std::optional<std::uint32_t> reply_to = closed_ ? std::nullopt : pending_.add(slot);
    if (!reply_to) {
        slot->deliver(Reply{true, "the router of " + identity_.name + " has shut down"});
        return slot;
    }
    send(Message{{.dst = to.id, .handle = handle, .reply_to = *reply_to}, std::move(payload)});
    return slot;
}

void RouterCore::send(Message m) {
    Header& h = m.header;
    h.src = identity_.id;
    h.auth = identity_.id;
    if (m.payload.size() > options_.max_message_size) {
        std::string reason =
            "message too large (max " + std::to_string(options_.max_message_size) + " bytes)";
        TETHER_LOG(LogLevel::error, kLog, reason, ": ", describe(m));
        if (h.reply_to != 0) {
            reply_dead(h, reason);  // the sender waits for an answer: it gets this
        } else if (!h.dead()) {
            // A reply (or one-way message): whoever waits for it at the far end
            // learns why it will never come.
            send_dead(h.dst, h.handle, reason);
        }
        return;
    }
    if (h.dst == identity_.id) {
        if (h.handle >= kFirstDynamicHandle) {
            deliver_reply(std::move(m));
        } else {
            broker_.post([self = shared_from_this(), m = std::move(m)]() mutable {
                self->handle_local(nullptr, std::move(m));
            });
        }
        return;
    }
    std::shared_ptr<Stream> stream = routes_.route_for(h.dst);
    Header header = h;
    if (!stream || !stream->write(std::move(m))) {
        reply_dead(header, routes_.no_route(header.dst));
    }
}

void RouterCore::reply_dead(const Header& to, const std::string& reason) {
    if (to.dead() || to.reply_to == 0) {
        return;  // never answer a dead message, nor one that wants no answer
    }
    if (to.src == identity_.id) {
        deliver_reply(Message{{.handle = to.reply_to, .flags = kFlagDead}, reason});
        return;
    }
    send_dead(to.src, to.reply_to, reason);
}

void RouterCore::send_dead(std::uint32_t dst, std::uint32_t handle, const std::string& reason) {
    send(Message{{.dst = dst, .handle = handle, .flags = kFlagDead}, reason});
}

void RouterCore::deliver_reply(Message m) {
    Header header = m.header;
    std::size_t length = m.payload.size();
    switch (pending_.deliver(std::move(m))) {
        case PendingReplies::Delivery::delivered:
            return;
        case PendingReplies::Delivery::unknown_handle:
            TETHER_LOG(LogLevel::debug, kLog,
                       "reply for a handle nobody waits on: ", describe(header, length));
            return;
        case PendingReplies::Delivery::wrong_sender:
            TETHER_LOG(LogLevel::error, kLog,
                       "reply from unexpected context: ", describe(header, length));
            return;
    }
}

std::uint32_t RouterCore::allocate_id() {
    if (is_master()) {
        return next_id_.fetch_add(1, std::memory_order_relaxed);
    }
    auto slot = request(ref(0), kAllocateId, {});
    Reply reply = slot->take(std::chrono::seconds(30));
    if (reply.dead) {
        throw ChannelError(name_of(0), "could not allocate a context id: " + reply.payload);
    }
    return decode<std::uint32_t>(reply.payload);
}

void RouterCore::add_link(std::uint32_t id, const std::string& name,
                          std::shared_ptr<ChildLink> link) {
    if (closed_ || !children_.add(id, std::move(link))) {
        throw Error("tether: the router of " + identity_.name + " has shut down");
    }
    routes_.set_name(id, name);
}

void RouterCore::attach_child(std::uint32_t id, const std::string& name,
                              std::shared_ptr<Stream> stream) {
    routes_.add_child(id, name, std::move(stream));
    if (!is_master()) {
        send(Message{{.dst = identity_.parent_ids.front(), .handle = kAddRoute},
                     encode(RouteAdded{id, name})});
    }
}

void RouterCore::child_stream_lost(Stream& stream, const std::string& reason) {
    std::vector<std::uint32_t> behind = routes_.routed_through(stream);
    std::erase(behind, stream.remote_id);
    if (routes_.routed(stream.remote_id)) {
        contexts_lost({stream.remote_id}, reason, &stream);
    }
    if (!behind.empty()) {
        contexts_lost(behind, "lost with its intermediary: " + reason, &stream);
    }
}

void RouterCore::child_gone(std::uint32_t id) {
    children_.remove(id);
    routes_.forget_name(id);
}

void RouterCore::contexts_lost(const std::vector<std::uint32_t>& ids, const std::string& reason,
                               Stream* from) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    std::vector<std::shared_ptr<Stream>> tell = routes_.lose(ids, from);
    if (from == nullptr || !routes_.is_parent(*from)) {
        for (std::uint32_t id : ids) {
            if (!children_.linked(id)) {  // a child's name stays until it is reaped
                routes_.forget_name(id);
            }
        }
    }
    children_.notify();
    for (std::uint32_t id : ids) {
        TETHER_LOG(LogLevel::debug, kLog, "context ", id, " lost: ", reason);
    }
    pending_.fail_from(ids, reason);
    std::string payload = encode(RoutesDeleted{ids, reason});
    for (auto& s : tell) {
        Header h{
            .dst = s->remote_id, .src = identity_.id, .auth = identity_.id, .handle = kDelRoute};
        s->write(Message{h, payload});
    }
}

void RouterCore::log_from(std::uint32_t origin, int level, const std::string& logger,
                          const std::string& text) {
    // Filtered here, in the context the line comes from, at its level (the
    // master's): the master logs forwarded records without a second filter.
    if (level < 0 || level > 4 || !log_enabled(static_cast<LogLevel>(level))) {
        return;
    }
    if (is_master()) {
        log_remote(level, name_of(origin), logger, text);
        return;
    }
    // Straight to the parent stream, taking no lock: a line may be logged
    // while a part's lock is held, and the parent stream never changes once
    // set (before forwarding starts).
    Message m{{.dst = 0, .src = identity_.id, .auth = identity_.id, .handle = kForwardLog},
              encode(LogRecord{origin, level, logger, text})};
    const std::shared_ptr<Stream>& parent = routes_.parent();
    if (parent && m.payload.size() <= options_.max_message_size) {
        parent->write(std::move(m));
    }
}

void RouterCore::shutdown_context(std::uint32_t id, bool wait) {
    check_open();
    if (!children_.begin_shutdown(id)) {
        send(Message{{.dst = id, .handle = kShutdown}, {}});
    }
    // A direct child is killed well within the limit; an indirect one relies
    // on its own grace timer and its parent noticing, which a stuck
    // intermediary could hold up.
    if (wait && !children_.wait_gone(
                    id, [&] { return !routes_.routed(id); }, kShutdownWaitLimit)) {
        throw TimeoutError("tether: " + name_of(id) + " still not gone " +
                           std::to_string(kShutdownWaitLimit.count()) +
                           " s after it was asked to shut down");
    }
}

void RouterCore::shutdown_children() {
    children_.shutdown_all(kChildrenShutdownLimit);
}

void RouterCore::set_parent_stream(std::shared_ptr<Stream> stream) {
    routes_.set_parent(std::move(stream));
}

void RouterCore::set_dispatcher(std::shared_ptr<Dispatcher> dispatcher) {
    std::lock_guard lock(dispatcher_mutex_);
    dispatcher_ = std::move(dispatcher);
}

std::shared_ptr<Dispatcher> RouterCore::current_dispatcher() {
    std::lock_guard lock(dispatcher_mutex_);
    return dispatcher_;
}

void RouterCore::on_message(Stream& from, Message m) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    if (!routes_.is_parent(from)) {
        auto sender = routes_.check_sender(m.header, from);
        if (sender != RouteTable::Sender::ok) {
            const char* bad = sender == RouteTable::Sender::bad_src ? "bad src_id" : "bad auth_id";
            TETHER_LOG(LogLevel::error, kLog, bad, ": got src ", m.header.src, " auth ",
                       m.header.auth, " via ", from.name(), ": ", describe(m));
            // Where the sender is who it says (only its authority is
            // forged), a request learns at once why it will get no answer.
            // A forged src gets nothing: the answer would go to its victim.
            if (sender == RouteTable::Sender::bad_auth) {
                reply_dead(m.header, bad);
            }
            return;
        }
    }
    if (m.header.dst == identity_.id) {
        handle_local(&from, std::move(m));
    } else {
        forward(from, std::move(m));
    }
}

void RouterCore::forward(Stream& from, Message m) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    RouteTable::Forward decision = routes_.forward(m.header, from);
    if (!decision.out) {
        TETHER_LOG(decision.by_policy ? LogLevel::error : LogLevel::debug, kLog, decision.refused,
                   ": ", describe(m));
        reply_dead(m.header, decision.refused);
        return;
    }
    Header header = m.header;
    if (!decision.out->write(std::move(m))) {
        reply_dead(header, routes_.no_route(header.dst));
    }
}

void RouterCore::handle_local(Stream* from, Message m) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    const Header& h = m.header;
    if (h.handle >= kFirstDynamicHandle) {
        deliver_reply(std::move(m));
        return;
    }
    if (m.dead()) {
        // A dead message only ever answers a reply handle.
        TETHER_LOG(LogLevel::debug, kLog, "dead message for handle ", h.handle,
                   " dropped: ", m.payload);
        return;
    }
    bool from_child = from != nullptr && !routes_.is_parent(*from);
    try {
        switch (h.handle) {
            case kCall: {
                bool allowed = is_master() ? master_calls_.admit(m) : routes_.is_ancestor(h.auth);
                if (!allowed) {
                    TETHER_LOG(LogLevel::error, kLog, "refused by policy: call from ", h.src);
                    reply_dead(h, "refused by policy");
                } else if (!is_master()) {
                    std::shared_ptr<Dispatcher> dispatcher = current_dispatcher();
                    if (dispatcher == nullptr || !dispatcher->enqueue(m)) {
                        reply_dead(m.header, "context " + identity_.name + " is shutting down");
                    }
                }
                return;
            }
            case kShutdown:
                if (!routes_.is_ancestor(h.auth)) {
                    TETHER_LOG(LogLevel::error, kLog, "refused by policy: SHUTDOWN from ", h.src);
                    return;
                }
                TETHER_LOG(LogLevel::debug, kLog, "SHUTDOWN from ", h.src);
                on_shutdown_request();
                return;
            case kForwardLog:
                if (is_master()) {
                    on_forwarded_log(from_child ? from : nullptr, m);
                    return;
                }
                break;
            case kAddRoute:
                if (from_child) {
                    on_route_added(*from, m);
                    return;
                }
                break;
            case kDelRoute:
                if (from != nullptr) {
                    on_routes_deleted(*from, m);
                    return;
                }
                break;
            case kAllocateId:
                if (is_master()) {
                    send(Message{{.dst = h.src, .handle = h.reply_to},
                                 encode(next_id_.fetch_add(1, std::memory_order_relaxed))});
                    return;
                }
                break;
            default:
                break;
        }
    } catch (const cereal::Exception& e) {
        TETHER_LOG(LogLevel::error, kLog, "malformed message dropped (", e.what(),
                   "): ", describe(m));
        reply_dead(h, std::string("malformed message: ") + e.what());
        return;
    }
    TETHER_LOG(LogLevel::debug, kLog, "invalid handle: ", describe(m));
    reply_dead(h, "invalid handle");
}

void RouterCore::on_forwarded_log(Stream* from_child, const Message& m) {
    auto record = decode<LogRecord>(m.payload);
    std::string about = name_of(record.origin);
    if (from_child != nullptr && !routes_.may_speak_for(record.origin, *from_child)) {
        // A child speaks for itself and what is behind it: a record about
        // the master or another branch is shown as the sender's own.
        about = name_of(m.header.src) + " (claiming " + about + ")";
    }
    log_remote(record.level, about, record.logger, record.text);
}

void RouterCore::on_route_added(Stream& from, const Message& m) {
    auto added = decode<RouteAdded>(m.payload);
    if (const char* refused = routes_.add_route(added.id, added.name, from)) {
        TETHER_LOG(LogLevel::error, kLog, "refused route to ", added.id, " from ", from.name(),
                   ": ", refused);
        return;
    }
    TETHER_LOG(LogLevel::debug, kLog, "route to ", added.id, " (", added.name, ") via ",
               from.name());
    if (!is_master()) {
        send(Message{{.dst = identity_.parent_ids.front(), .handle = kAddRoute}, m.payload});
    }
}

void RouterCore::on_routes_deleted(Stream& from, const Message& m) {
    auto deleted = decode<RoutesDeleted>(m.payload);
    std::vector<std::uint32_t> ids = routes_.withdrawable(deleted.ids, from);
    if (!ids.empty()) {
        contexts_lost(ids, deleted.reason, &from);
    }
}

void RouterCore::on_closed(Stream& stream, const std::string& reason) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    if (routes_.is_parent(stream)) {
        on_parent_lost(reason);
    }
}

void RouterCore::on_parent_lost(const std::string& reason) {
    TETHER_LOG(LogLevel::debug, kLog, "parent stream lost (", reason, "): exiting");
    set_log_forwarder(nullptr);
    std::shared_ptr<Dispatcher> dispatcher = current_dispatcher();
    // Nobody is left to answer to. Children go first (their streams close, so
    // they exit too); then this process, at once if a call is still running.
    children_.abort_all();
    if (dispatcher != nullptr && dispatcher->close(Dispatcher::Why::parent_lost)) {
        _exit(1);
    }
}

void RouterCore::on_shutdown_request() {
    std::shared_ptr<Dispatcher> dispatcher = current_dispatcher();
    if (dispatcher == nullptr || !dispatcher->close(Dispatcher::Why::shutdown)) {
        return;  // idle: the main thread exits by itself now
    }
    // A call is still running. Only a direct parent can signal this process,
    // so it ends itself if the call does not finish within the grace period.
    auto timer = std::make_shared<boost::asio::steady_timer>(broker_.io(), kBusyShutdownGrace);
    timer->async_wait([self = shared_from_this(), timer](const boost::system::error_code& ec) {
        std::shared_ptr<Dispatcher> running = self->current_dispatcher();
        if (!ec && running != nullptr && running->busy()) {
            TETHER_LOG(LogLevel::warning, kLog, "still busy ", kBusyShutdownGrace.count(),
                       " ms after SHUTDOWN: exiting");
            self->on_parent_lost("busy after SHUTDOWN");
        }
    });
}

void RouterCore::on_broker_shutdown() {
    shutdown_children();
    broker_.post_sync([&] {
        closed_ = true;
        children_.close();
        std::vector<std::shared_ptr<Stream>> streams = routes_.take_all();
        children_.notify();
        for (auto& s : streams) {
            s->set_owner(nullptr);
            s->close("broker shut down");
        }
    });
    pending_.close("the broker of " + identity_.name + " has shut down");
}

}  // namespace tether::detail
