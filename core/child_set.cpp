#include "core/child_set.hpp"

#include "core/log.hpp"

namespace tether::detail {

bool ChildSet::add(std::uint32_t id, std::shared_ptr<ChildLink> link) {
    std::lock_guard lock(mutex_);
    if (closed_) {
        return false;
    }
    links_[id] = std::move(link);
    return true;
}

void ChildSet::remove(std::uint32_t id) {
    {
        std::lock_guard lock(mutex_);
        links_.erase(id);
    }
    changed_.notify_all();
}

void ChildSet::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
}

bool ChildSet::linked(std::uint32_t id) const {
    std::lock_guard lock(mutex_);
    return links_.count(id) != 0;
}

void ChildSet::notify() {
    // Taken and let go so that a waiter between its check and its sleep
    // cannot miss this.
    { std::lock_guard lock(mutex_); }
    changed_.notify_all();
}

std::vector<std::shared_ptr<ChildLink>> ChildSet::all() const {
    std::vector<std::shared_ptr<ChildLink>> links;
    std::lock_guard lock(mutex_);
    for (const auto& [id, link] : links_) {
        links.push_back(link);
    }
    return links;
}

bool ChildSet::begin_shutdown(std::uint32_t id) {
    return broker_.post_sync([&] {
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
}

void ChildSet::shutdown_all(std::chrono::milliseconds limit) {
    if (broker_.stopped()) {
        return;
    }
    broker_.post_sync([&] {
        for (auto& link : all()) {
            link->begin_shutdown();
        }
    });
    std::map<std::uint32_t, std::shared_ptr<ChildLink>> stuck;
    {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, limit, [&] { return links_.empty(); });
        stuck.swap(links_);
    }
    changed_.notify_all();
    if (!stuck.empty()) {
        TETHER_LOG(LogLevel::error, "tether.router", stuck.size(),
                   " children still not reaped after shutdown began: killing them");
        broker_.post_sync([&] {
            for (auto& [id, link] : stuck) {
                link->release();
            }
        });
    }
}

void ChildSet::abort_all() {
    for (auto& link : all()) {
        link->abort();
    }
}

}  // namespace tether::detail
