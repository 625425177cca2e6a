#include "core/route_table.hpp"

#include <algorithm>

namespace tether::detail {

RouteTable::RouteTable(const Identity& identity, bool unidirectional)
    : id_(identity.id), ancestors_(identity.parent_ids), unidirectional_(unidirectional) {
    names_[identity.id] = identity.name;
    names_[0] = "master";
    for (std::size_t i = 0; i < identity.parent_ids.size() && i < identity.parent_names.size();
         ++i) {
        names_[identity.parent_ids[i]] = identity.parent_names[i];
    }
}

std::string RouteTable::name_of(std::uint32_t id) const {
    std::lock_guard lock(mutex_);
    auto it = names_.find(id);
    return it != names_.end() ? it->second : "context " + std::to_string(id);
}

void RouteTable::set_name(std::uint32_t id, std::string name) {
    std::lock_guard lock(mutex_);
    names_[id] = std::move(name);
}

void RouteTable::forget_name(std::uint32_t id) {
    std::lock_guard lock(mutex_);
    if (id != 0 && id != id_ && !is_ancestor(id) && routes_.count(id) == 0) {
        names_.erase(id);
    }
}

void RouteTable::set_parent(std::shared_ptr<Stream> parent) {
    parent->remote_id = ancestors_.front();
    parent_ = std::move(parent);
}

bool RouteTable::is_ancestor(std::uint32_t id) const {
    return std::find(ancestors_.begin(), ancestors_.end(), id) != ancestors_.end();
}

bool RouteTable::routed(std::uint32_t id) const {
    std::lock_guard lock(mutex_);
    return routes_.count(id) != 0;
}

std::string RouteTable::no_route(std::uint32_t dst) const {
    return "no route to " + std::to_string(dst) + ", my ID is " + std::to_string(id_);
}

std::shared_ptr<Stream> RouteTable::route_for(std::uint32_t dst) const {
    std::lock_guard lock(mutex_);
    auto it = routes_.find(dst);
    return it != routes_.end() ? it->second : parent_;
}

void RouteTable::add_child(std::uint32_t id, std::string name, std::shared_ptr<Stream> stream) {
    stream->remote_id = id;
    std::lock_guard lock(mutex_);
    routes_[id] = std::move(stream);
    names_[id] = std::move(name);
}

std::vector<std::uint32_t> RouteTable::routed_through(const Stream& stream) const {
    std::vector<std::uint32_t> ids;
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : routes_) {
        if (s.get() == &stream) {
            ids.push_back(id);
        }
    }
    return ids;
}

RouteTable::Sender RouteTable::check_sender(const Header& h, const Stream& from) const {
    std::lock_guard lock(mutex_);
    auto behind = [&](std::uint32_t id) {
        auto it = routes_.find(id);
        return it != routes_.end() && it->second.get() == &from;
    };
    if (!behind(h.src)) {
        return Sender::bad_src;
    }
    return behind(h.auth) ? Sender::ok : Sender::bad_auth;
}

bool RouteTable::may_speak_for(std::uint32_t id, const Stream& from) const {
    std::lock_guard lock(mutex_);
    auto it = routes_.find(id);
    if (it != routes_.end()) {
        return it->second.get() == &from;
    }
    return id != id_ && !is_ancestor(id);
}

RouteTable::Forward RouteTable::forward(const Header& h, Stream& from) {
    bool from_parent = is_parent(from);
    Forward decision;
    {
        std::lock_guard lock(mutex_);
        auto it = routes_.find(h.dst);
        // The parent never gets back what it sent: it has no better route.
        decision.out = it != routes_.end() ? it->second : from_parent ? nullptr : parent_;
    }
    if (!decision.out) {
        decision.refused = no_route(h.dst);
        return decision;
    }
    if (unidirectional_ && !from_parent && decision.out != parent_) {
        decision.out = nullptr;
        decision.refused = "routing mode prevents forward of message from context " +
                           std::to_string(h.src) + " to context " + std::to_string(h.dst) +
                           " via context " + std::to_string(id_);
        decision.by_policy = true;
        return decision;
    }
    if (!from_parent) {
        from.egress.insert(h.dst);  // broker thread, like every reader of egress
    }
    return decision;
}

const char* RouteTable::add_route(std::uint32_t id, const std::string& name, Stream& from) {
    if (id == 0 || id == id_ || is_ancestor(id)) {
        return "that is this context or one of its ancestors";
    }
    std::lock_guard lock(mutex_);
    auto it = routes_.find(id);
    if (it != routes_.end() && it->second.get() != &from) {
        return "already routed elsewhere";
    }
    routes_[id] = from.shared_from_this();
    names_[id] = name;
    return nullptr;
}

std::vector<std::uint32_t> RouteTable::withdrawable(const std::vector<std::uint32_t>& ids,
                                                    const Stream& from) const {
    if (is_parent(from)) {
        return ids;
    }
    std::vector<std::uint32_t> allowed;
    std::lock_guard lock(mutex_);
    for (std::uint32_t id : ids) {
        auto it = routes_.find(id);
        if (it != routes_.end() && it->second.get() == &from) {
            allowed.push_back(id);
        }
    }
    return allowed;
}

std::vector<std::shared_ptr<Stream>> RouteTable::lose(const std::vector<std::uint32_t>& ids,
                                                      const Stream* from) {
    bool from_parent = from != nullptr && is_parent(*from);
    std::vector<std::shared_ptr<Stream>> tell;
    std::lock_guard lock(mutex_);
    if (!from_parent) {
        for (std::uint32_t id : ids) {
            routes_.erase(id);
        }
    }
    // Whoever sent to a lost context hears of it; the stream it came from
    // already knows.
    for (const auto& [id, s] : routes_) {
        if (s.get() == from || std::find(tell.begin(), tell.end(), s) != tell.end()) {
            continue;
        }
        bool sent = false;
        for (std::uint32_t lost : ids) {
            sent = s->egress.erase(lost) != 0 || sent;
        }
        if (sent) {
            tell.push_back(s);
        }
    }
    if (parent_ && !from_parent) {
        tell.push_back(parent_);
    }
    return tell;
}

std::vector<std::shared_ptr<Stream>> RouteTable::take_all() {
    std::vector<std::shared_ptr<Stream>> streams;
    std::lock_guard lock(mutex_);
    for (auto& [id, s] : routes_) {
        streams.push_back(std::move(s));
    }
    routes_.clear();
    if (parent_) {
        streams.push_back(parent_);
    }
    return streams;
}

}  // namespace tether::detail
