#include "core/router_core.hpp"

#include <boost/asio/steady_timer.hpp>

#include <unistd.h>
#include <algorithm>

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
    : broker_(broker), options_(options), identity_(std::move(identity)) {
    names_[identity_.id] = identity_.name;
    names_[0] = "master";
    for (std::size_t i = 0; i < identity_.parent_ids.size() && i < identity_.parent_names.size();
         ++i) {
        names_[identity_.parent_ids[i]] = identity_.parent_names[i];
    }
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

std::string RouterCore::name_of(std::uint32_t id) {
    std::lock_guard lock(mutex_);
    auto it = names_.find(id);
    return it != names_.end() ? it->second : "context " + std::to_string(id);
}

void RouterCore::check_open() const {
    std::lock_guard lock(mutex_);
    if (closed_ || broker_.stopping()) {
        throw Error("tether: the router of " + identity_.name +
                    " has shut down and can no longer be used");
    }
}

bool RouterCore::is_ancestor(std::uint32_t id) const {
    const auto& p = identity_.parent_ids;
    return std::find(p.begin(), p.end(), id) != p.end();
}

std::shared_ptr<Stream> RouterCore::route_for(std::uint32_t dst) {
    auto it = routes_.find(dst);
    if (it != routes_.end()) {
        return it->second;
    }
    return parent_;  // nullptr in the master: no route
}

std::shared_ptr<ReplySlot> RouterCore::request(const ContextRef& to, std::uint32_t handle,
                                               std::string payload) {
    auto slot = std::make_shared<ReplySlot>(to);
    std::uint32_t reply_to = next_handle_.fetch_add(1, std::memory_order_relaxed);
    {
        std::lock_guard lock(mutex_);
        if (closed_) {
            slot->deliver(Reply{true, "the router of " + identity_.name + " has shut down"});
            return slot;
        }
        pending_.emplace(reply_to, slot);
    }
    Message m;
    m.dst = to.id;
    m.handle = handle;
    m.reply_to = reply_to;
    m.payload = std::move(payload);
    send(std::move(m));
    return slot;
}

void RouterCore::send(Message m) {
    m.src = identity_.id;
    m.auth = identity_.id;
    if (m.payload.size() > options_.max_message_size) {
        std::string reason =
            "message too large (max " + std::to_string(options_.max_message_size) + " bytes)";
        TETHER_LOG(LogLevel::error, kLog, reason, ": ", describe(m));
        if (m.reply_to != 0) {
            reply_dead(m, reason);  // the sender waits for an answer: it gets this
        } else if (!m.dead()) {
            // A reply (or one-way message): whoever waits for it at the far end
            // learns why it will never come.
            send_dead(m.dst, m.handle, reason);
        }
        return;
    }
    if (m.dst == identity_.id) {
        if (m.handle >= kFirstDynamicHandle) {
            deliver_reply(std::move(m));
        } else {
            auto self = shared_from_this();
            broker_.post(
                [self, m = std::move(m)]() mutable { self->handle_local(nullptr, std::move(m)); });
        }
        return;
    }
    std::shared_ptr<Stream> stream;
    {
        std::lock_guard lock(mutex_);
        stream = route_for(m.dst);
    }
    Message header = header_of(m);
    if (!stream || !stream->write(std::move(m))) {
        reply_dead(header, no_route(header.dst));
    }
}

void RouterCore::reply_dead(const Message& to, const std::string& reason) {
    if (to.dead() || to.reply_to == 0) {
        return;  // never answer a dead message, nor one that wants no answer
    }
    if (to.src == identity_.id) {
        Message dead;
        dead.handle = to.reply_to;
        dead.flags = kFlagDead;
        dead.payload = reason;
        deliver_reply(std::move(dead));
        return;
    }
    send_dead(to.src, to.reply_to, reason);
}

void RouterCore::send_dead(std::uint32_t dst, std::uint32_t handle, const std::string& reason) {
    Message dead;
    dead.dst = dst;
    dead.handle = handle;
    dead.flags = kFlagDead;
    dead.payload = reason;
    send(std::move(dead));
}

std::string RouterCore::no_route(std::uint32_t dst) const {
    return "no route to " + std::to_string(dst) + ", my ID is " + std::to_string(identity_.id);
}

Message RouterCore::header_of(const Message& m) {
    Message header;
    header.dst = m.dst;
    header.src = m.src;
    header.handle = m.handle;
    header.reply_to = m.reply_to;
    header.flags = m.flags;
    return header;
}

void RouterCore::deliver_reply(Message m) {
    std::shared_ptr<ReplySlot> slot;
    {
        std::lock_guard lock(mutex_);
        auto it = pending_.find(m.handle);
        if (it == pending_.end()) {
            TETHER_LOG(LogLevel::debug, kLog, "reply for a handle nobody waits on: ", describe(m));
            return;
        }
        // Only the context asked may answer; anyone on the way may declare it
        // unreachable.
        if (!m.dead() && m.src != it->second->respondent().id) {
            TETHER_LOG(LogLevel::error, kLog, "reply from unexpected context: ", describe(m));
            return;
        }
        slot = std::move(it->second);
        pending_.erase(it);
    }
    slot->deliver(Reply{m.dead(), std::move(m.payload)});
}

bool RouterCore::may_call_master(const Message& call) {
    std::string function;
    try {
        WireReader in(call.payload);
        in(function);
    } catch (const cereal::Exception&) {
        return false;
    }
    std::function<bool(const tether::Context&)> from;
    {
        std::lock_guard lock(mutex_);
        auto it = open_functions_.find(function);
        if (it == open_functions_.end()) {
            return false;
        }
        from = it->second;
    }
    try {
        return !from || from(tether::Context(ref(call.auth)));
    } catch (...) {
        // The program's filter runs here, on the broker thread: nothing it
        // throws may escape into the event loop.
        TETHER_LOG(LogLevel::error, kLog, "the allow_calls filter of ", function,
                   " threw: refusing the call");
        return false;
    }
}

void RouterCore::allow_calls(const std::string& name,
                             std::function<bool(const tether::Context&)> from,
                             tether::Router& router) {
    std::lock_guard lock(mutex_);
    open_functions_[name] = std::move(from);
    if (dispatcher_ == nullptr) {
        dispatcher_ = std::make_shared<Dispatcher>(*this, router);
        serving_thread_ = std::thread([dispatcher = dispatcher_] { dispatcher->run(); });
    }
}

void RouterCore::stop_serving_calls() {
    std::shared_ptr<Dispatcher> dispatcher;
    {
        std::lock_guard lock(mutex_);
        if (!is_master()) {
            return;  // a child's dispatcher is its main thread's, stopped there
        }
        open_functions_.clear();
        dispatcher = std::move(dispatcher_);
    }
    if (dispatcher != nullptr) {
        dispatcher->close(Dispatcher::Why::shutdown);
    }
    if (serving_thread_.joinable()) {
        serving_thread_.join();
    }
}

bool RouterCore::may_speak_for(std::uint32_t id, const Stream& stream) {
    std::lock_guard lock(mutex_);
    auto it = routes_.find(id);
    if (it != routes_.end()) {
        return it->second.get() == &stream;
    }
    // Not known here at all: a context still starting behind that stream
    // (its stderr comes before its route). It cannot pass for a known one.
    return id != identity_.id && !is_ancestor(id);
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
    std::lock_guard lock(mutex_);
    if (closed_) {
        throw Error("tether: the router of " + identity_.name + " has shut down");
    }
    names_[id] = name;
    links_[id] = std::move(link);
}

void RouterCore::attach_child(std::uint32_t id, const std::string& name,
                              std::shared_ptr<Stream> stream) {
    stream->remote_id = id;
    {
        std::lock_guard lock(mutex_);
        routes_[id] = stream;
        names_[id] = name;
    }
    if (!is_master()) {
        Message m;
        m.dst = identity_.parent_ids.front();
        m.handle = kAddRoute;
        m.payload = encode(RouteAdded{id, name});
        send(std::move(m));
    }
}

void RouterCore::child_stream_lost(Stream& stream, const std::string& reason) {
    std::vector<std::uint32_t> ids;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, s] : routes_) {
            if (s.get() == &stream) {
                ids.push_back(id);
            }
        }
    }
    if (!ids.empty()) {
        contexts_lost(ids, reason, &stream);
    }
}

// A context neither routed nor linked any more is not named either: a router
// that starts and loses contexts for months must not grow with them.
void RouterCore::forget_name_if_gone(std::uint32_t id) {
    if (id != 0 && id != identity_.id && !is_ancestor(id) && routes_.count(id) == 0 &&
        links_.count(id) == 0) {
        names_.erase(id);
    }
}

void RouterCore::child_gone(std::uint32_t id) {
    {
        std::lock_guard lock(mutex_);
        links_.erase(id);
        forget_name_if_gone(id);
    }
    changed_.notify_all();
}

void RouterCore::contexts_lost(const std::vector<std::uint32_t>& ids, const std::string& reason,
                               Stream* from) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    std::vector<std::shared_ptr<ReplySlot>> failed;
    std::vector<std::shared_ptr<Stream>> tell;
    bool from_parent = from != nullptr && from == parent_.get();
    {
        std::lock_guard lock(mutex_);
        for (std::uint32_t id : ids) {
            if (!from_parent) {
                routes_.erase(id);
                forget_name_if_gone(id);
            }
        }
        for (auto it = pending_.begin(); it != pending_.end();) {
            if (std::find(ids.begin(), ids.end(), it->second->respondent().id) != ids.end()) {
                failed.push_back(std::move(it->second));
                it = pending_.erase(it);
            } else {
                ++it;
            }
        }
        // Whoever sent to a lost context hears of it; the stream it came
        // from already knows.
        std::vector<const Stream*> seen;
        for (const auto& [id, s] : routes_) {
            if (s.get() == from || std::find(seen.begin(), seen.end(), s.get()) != seen.end()) {
                continue;
            }
            seen.push_back(s.get());
            for (std::uint32_t lost : ids) {
                if (s->egress.erase(lost) != 0) {
                    tell.push_back(s);
                    break;
                }
            }
        }
        if (parent_ && !from_parent) {
            tell.push_back(parent_);
        }
    }
    changed_.notify_all();
    for (std::uint32_t id : ids) {
        TETHER_LOG(LogLevel::debug, kLog, "context ", id, " lost: ", reason);
    }
    for (auto& slot : failed) {
        slot->deliver(Reply{true, reason});
    }
    std::string payload = encode(RoutesDeleted{ids, reason});
    for (auto& s : tell) {
        Message m;
        m.dst = s->remote_id;
        m.src = identity_.id;
        m.auth = identity_.id;
        m.handle = kDelRoute;
        m.payload = payload;
        s->write(std::move(m));
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
    // Straight to the parent stream, without the router's mutex: a line may
    // be logged while that mutex is held, and the parent stream never
    // changes once set (before forwarding starts).
    Message m;
    m.dst = 0;
    m.src = identity_.id;
    m.auth = identity_.id;
    m.handle = kForwardLog;
    m.payload = encode(LogRecord{origin, level, logger, text});
    if (parent_ && m.payload.size() <= options_.max_message_size) {
        parent_->write(std::move(m));
    }
}

void RouterCore::shutdown_context(std::uint32_t id, bool wait) {
    check_open();
    bool direct = broker_.post_sync([&] {
        std::shared_ptr<ChildLink> link;
        {
            std::lock_guard lock(mutex_);
            auto it = links_.find(id);
            if (it != links_.end()) {
                link = it->second;
            }
        }
        if (link) {
            link->begin_shutdown();
        }
        return link != nullptr;
    });
    if (!direct) {
        Message m;
        m.dst = id;
        m.handle = kShutdown;
        send(std::move(m));
    }
    if (wait) {
        std::unique_lock lock(mutex_);
        // A direct child is killed well within this; an indirect one relies on
        // its own grace timer and its parent noticing, which a stuck
        // intermediary could hold up.
        if (!changed_.wait_for(lock, kShutdownWaitLimit,
                               [&] { return routes_.count(id) == 0 && links_.count(id) == 0; })) {
            auto name = names_.find(id);
            throw TimeoutError(
                "tether: " + (name != names_.end() ? name->second : std::to_string(id)) +
                " still not gone " + std::to_string(kShutdownWaitLimit.count()) +
                " s after it was asked to shut down");
        }
    }
}

void RouterCore::shutdown_children() {
    if (broker_.stopped()) {
        return;
    }
    broker_.post_sync([&] {
        for (auto& link : current_links()) {
            link->begin_shutdown();
        }
    });
    std::map<std::uint32_t, std::shared_ptr<ChildLink>> stuck;
    {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_for(lock, kChildrenShutdownLimit, [&] { return links_.empty(); })) {
            TETHER_LOG(LogLevel::error, kLog, links_.size(),
                       " children still not reaped after shutdown began: killing them");
        }
        stuck.swap(links_);
    }
    changed_.notify_all();
    if (!stuck.empty()) {
        broker_.post_sync([&] {
            for (auto& [id, link] : stuck) {
                link->release();
            }
        });
    }
}

void RouterCore::set_parent_stream(std::shared_ptr<Stream> stream) {
    std::lock_guard lock(mutex_);
    parent_ = std::move(stream);
    parent_->remote_id = identity_.parent_ids.front();
}

void RouterCore::set_dispatcher(std::shared_ptr<Dispatcher> dispatcher) {
    std::lock_guard lock(mutex_);
    dispatcher_ = std::move(dispatcher);
}

std::vector<std::shared_ptr<ChildLink>> RouterCore::current_links() {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<ChildLink>> links;
    for (auto& [id, link] : links_) {
        links.push_back(link);
    }
    return links;
}

std::shared_ptr<Dispatcher> RouterCore::current_dispatcher() {
    std::lock_guard lock(mutex_);
    return dispatcher_;
}

void RouterCore::on_message(Stream& from, Message m) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    bool from_parent = &from == parent_.get();
    if (!from_parent) {
        // A child may speak only for itself and the contexts behind it, and
        // act only under the authority of one of those (never, say, the
        // master's). Logged after the lock: logging may send.
        const char* bad = nullptr;
        bool src_ok = false;
        {
            std::lock_guard lock(mutex_);
            auto behind = [&](std::uint32_t id) {
                auto it = routes_.find(id);
                return it != routes_.end() && it->second.get() == &from;
            };
            src_ok = behind(m.src);
            if (!src_ok) {
                bad = "bad src_id";
            } else if (!behind(m.auth)) {
                bad = "bad auth_id";
            }
        }
        if (bad != nullptr) {
            TETHER_LOG(LogLevel::error, kLog, bad, ": got src ", m.src, " auth ", m.auth, " via ",
                       from.name(), ": ", describe(m));
            // Where the sender is who it says (only its authority is
            // forged), a request learns at once why it will get no answer.
            // A forged src gets nothing: the answer would go to its victim.
            if (src_ok && m.reply_to != 0 && !m.dead()) {
                reply_dead(m, bad);
            }
            return;
        }
    }
    if (m.dst == identity_.id) {
        handle_local(&from, std::move(m));
    } else {
        forward(from, std::move(m));
    }
}

void RouterCore::forward(Stream& from, Message m) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    std::shared_ptr<Stream> out;
    bool from_parent = &from == parent_.get();
    {
        std::lock_guard lock(mutex_);
        out = route_for(m.dst);
        if (out && from_parent && out == parent_) {
            out = nullptr;  // the parent sent us something for a context we don't have
        }
    }
    if (!out) {
        std::string reason = no_route(m.dst);
        TETHER_LOG(LogLevel::debug, kLog, reason, ": ", describe(m));
        reply_dead(m, reason);
        return;
    }
    if (options_.unidirectional && !from_parent && out != parent_) {
        std::string reason = "routing mode prevents forward of message from context " +
                             std::to_string(m.src) + " to context " + std::to_string(m.dst) +
                             " via context " + std::to_string(identity_.id);
        TETHER_LOG(LogLevel::error, kLog, reason);
        reply_dead(m, reason);
        return;
    }
    if (!from_parent) {
        from.egress.insert(m.dst);
    }
    Message header = header_of(m);
    if (!out->write(std::move(m))) {
        reply_dead(header, no_route(header.dst));
    }
}

void RouterCore::handle_local(Stream* from, Message m) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    if (m.handle >= kFirstDynamicHandle) {
        deliver_reply(std::move(m));
        return;
    }
    if (m.dead()) {
        // A dead message only ever answers a reply handle.
        TETHER_LOG(LogLevel::debug, kLog, "dead message for handle ", m.handle,
                   " dropped: ", m.payload);
        return;
    }
    bool from_parent = from != nullptr && from == parent_.get();
    try {
        switch (m.handle) {
            case kCall: {
                if (is_master() ? !may_call_master(m) : !is_ancestor(m.auth)) {
                    TETHER_LOG(LogLevel::error, kLog, "refused by policy: call from ", m.src);
                    reply_dead(m, "refused by policy");
                    return;
                }
                std::shared_ptr<Dispatcher> dispatcher;
                {
                    std::lock_guard lock(mutex_);
                    dispatcher = dispatcher_;
                }
                if (dispatcher == nullptr || !dispatcher->enqueue(m)) {
                    reply_dead(m, "context " + identity_.name + " is shutting down");
                }
                return;
            }
            case kShutdown:
                if (!is_ancestor(m.auth)) {
                    TETHER_LOG(LogLevel::error, kLog, "refused by policy: SHUTDOWN from ", m.src);
                    return;
                }
                TETHER_LOG(LogLevel::debug, kLog, "SHUTDOWN from ", m.src);
                on_shutdown_request();
                return;
            case kForwardLog: {
                if (!is_master()) {
                    break;
                }
                auto record = decode<LogRecord>(m.payload);
                std::string about = name_of(record.origin);
                if (from != nullptr && !from_parent && !may_speak_for(record.origin, *from)) {
                    // A child speaks for itself and what is behind it: a
                    // record about the master or another branch is shown
                    // as the sender's own.
                    about = name_of(m.src) + " (claiming " + about + ")";
                }
                log_remote(record.level, about, record.logger, record.text);
                return;
            }
            case kAddRoute:
                if (from != nullptr && !from_parent) {
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
                    Message reply;
                    reply.dst = m.src;
                    reply.handle = m.reply_to;
                    reply.payload = encode(next_id_.fetch_add(1, std::memory_order_relaxed));
                    send(std::move(reply));
                    return;
                }
                break;
            default:
                break;
        }
    } catch (const cereal::Exception& e) {
        TETHER_LOG(LogLevel::error, kLog, "malformed message dropped (", e.what(),
                   "): ", describe(m));
        reply_dead(m, std::string("malformed message: ") + e.what());
        return;
    }
    TETHER_LOG(LogLevel::debug, kLog, "invalid handle: ", describe(m));
    reply_dead(m, "invalid handle");
}

void RouterCore::on_route_added(Stream& from, const Message& m) {
    auto added = decode<RouteAdded>(m.payload);
    const char* refused = nullptr;
    if (added.id == 0 || added.id == identity_.id || is_ancestor(added.id)) {
        refused = "that is this context or one of its ancestors";
    } else {
        std::lock_guard lock(mutex_);
        auto it = routes_.find(added.id);
        if (it != routes_.end() && it->second.get() != &from) {
            refused = "already routed elsewhere";
        } else {
            routes_[added.id] = from.shared_from_this();
            names_[added.id] = added.name;
        }
    }
    if (refused != nullptr) {
        TETHER_LOG(LogLevel::error, kLog, "refused route to ", added.id, " from ", from.name(),
                   ": ", refused);
        return;
    }
    TETHER_LOG(LogLevel::debug, kLog, "route to ", added.id, " (", added.name, ") via ",
               from.name());
    if (!is_master()) {
        Message up;
        up.dst = identity_.parent_ids.front();
        up.handle = kAddRoute;
        up.payload = m.payload;
        send(std::move(up));
    }
}

void RouterCore::on_routes_deleted(Stream& from, const Message& m) {
    auto deleted = decode<RoutesDeleted>(m.payload);
    bool from_parent = &from == parent_.get();
    std::vector<std::uint32_t> ids;
    {
        std::lock_guard lock(mutex_);
        for (std::uint32_t id : deleted.ids) {
            auto it = routes_.find(id);
            // A child may only withdraw what is behind it.
            if (from_parent || (it != routes_.end() && it->second.get() == &from)) {
                ids.push_back(id);
            }
        }
    }
    if (!ids.empty()) {
        contexts_lost(ids, deleted.reason, &from);
    }
}

void RouterCore::on_closed(Stream& stream, const std::string& reason) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    if (&stream == parent_.get()) {
        on_parent_lost(reason);
    }
}

void RouterCore::on_parent_lost(const std::string& reason) {
    TETHER_LOG(LogLevel::debug, kLog, "parent stream lost (", reason, "): exiting");
    set_log_forwarder(nullptr);
    std::shared_ptr<Dispatcher> dispatcher = current_dispatcher();
    // Nobody is left to answer to. Children go first (their streams close, so
    // they exit too); then this process, at once if a call is still running.
    for (auto& link : current_links()) {
        link->abort();
    }
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

std::shared_ptr<Stream> RouterCore::parent_stream() {
    std::lock_guard lock(mutex_);
    return parent_;
}

void RouterCore::fail_all_pending(const std::string& reason) {
    std::unordered_map<std::uint32_t, std::shared_ptr<ReplySlot>> pending;
    {
        std::lock_guard lock(mutex_);
        pending.swap(pending_);
    }
    for (auto& [handle, slot] : pending) {
        slot->deliver(Reply{true, reason});
    }
}

void RouterCore::on_broker_shutdown() {
    shutdown_children();
    broker_.post_sync([&] {
        std::vector<std::shared_ptr<Stream>> streams;
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
            for (auto& [id, s] : routes_) {
                streams.push_back(s);
            }
            routes_.clear();
            if (parent_) {
                streams.push_back(parent_);
            }
        }
        changed_.notify_all();
        for (auto& s : streams) {
            s->set_owner(nullptr);
            s->close("broker shut down");
        }
    });
    fail_all_pending("the broker of " + identity_.name + " has shut down");
}

}  // namespace tether::detail
