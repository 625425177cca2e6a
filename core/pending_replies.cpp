#include "core/pending_replies.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "tether/detail/call_codec.hpp"

namespace tether::detail {

std::optional<std::uint32_t> PendingReplies::add(std::shared_ptr<ReplySlot> slot) {
    std::uint32_t handle = next_handle_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    if (closed_) {
        return std::nullopt;
    }
    slots_.emplace(handle, std::move(slot));
    return handle;
}

PendingReplies::Delivery PendingReplies::deliver(Message reply) {
    std::shared_ptr<ReplySlot> slot;
    {
        std::lock_guard lock(mutex_);
        auto it = slots_.find(reply.header.handle);
        if (it == slots_.end()) {
            return Delivery::unknown_handle;
        }
        if (!reply.dead() && reply.header.src != it->second->respondent().id) {
            return Delivery::wrong_sender;
        }
        slot = std::move(it->second);
        slots_.erase(it);
    }
    slot->deliver(Reply{reply.dead(), std::move(reply.payload)});
    return Delivery::delivered;
}

void PendingReplies::fail_from(const std::vector<std::uint32_t>& ids, const std::string& reason) {
    std::map<std::uint32_t, std::shared_ptr<ReplySlot>> failed;  // by handle: oldest first
    {
        std::lock_guard lock(mutex_);
        for (auto it = slots_.begin(); it != slots_.end();) {
            if (std::find(ids.begin(), ids.end(), it->second->respondent().id) != ids.end()) {
                failed.emplace(it->first, std::move(it->second));
                it = slots_.erase(it);
            } else {
                ++it;
            }
        }
    }
    std::set<std::uint32_t> running_known;  // respondents whose running call is named
    for (auto& [handle, slot] : failed) {
        const std::string* function = exported_name(slot->function());
        if (function != nullptr && running_known.insert(slot->respondent().id).second) {
            slot->deliver(Reply{true, reason + " while running " + *function});
        } else {
            slot->deliver(Reply{true, reason});
        }
    }
}

void PendingReplies::close(const std::string& reason) {
    std::unordered_map<std::uint32_t, std::shared_ptr<ReplySlot>> slots;
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        slots.swap(slots_);
    }
    for (auto& [handle, slot] : slots) {
        slot->deliver(Reply{true, reason});
    }
}

}  // namespace tether::detail
