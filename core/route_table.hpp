// Where each context is reached from here, what it is called, and the
// routing policy: which stream may speak for which context, and whether a
// message may be forwarded. It decides and never sends, so it is tested
// without processes (tests/route_table_test.cpp).
// Thread safety: any thread; one mutex guards the tables, and no method
// calls out (logs, sends, callbacks) while holding it. The parent stream is
// set once, before any stream starts, and read without the lock.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/message.hpp"
#include "core/stream.hpp"

namespace tether::detail {

// Who this context is: fixed for its lifetime.
struct Identity {
    std::uint32_t id = 0;
    std::vector<std::uint32_t> parent_ids;  // nearest first; empty in the master
    std::vector<std::string> parent_names;  // parallel to parent_ids
    std::string name = "master";
};

class RouteTable {
  public:
    // `unidirectional`: a child's message is forwarded only towards the
    // parent, never to a sibling or cousin (RouterOptions).
    RouteTable(const Identity& identity, bool unidirectional);

    // --- Names ---
    // "context <id>" for a context this table has never heard of.
    std::string name_of(std::uint32_t id) const;
    // Names a context before it is routed (a child still starting).
    void set_name(std::uint32_t id, std::string name);
    // Forgets the name of a context that is neither routed nor an ancestor
    // nor this one (the caller knows it is not a child being started): a
    // router that starts and loses contexts for months must not grow with
    // them.
    void forget_name(std::uint32_t id);

    // --- Routes ---
    // Once, before any stream starts (a child's stream to its parent).
    void set_parent(std::shared_ptr<Stream> parent);
    const std::shared_ptr<Stream>& parent() const noexcept { return parent_; }
    bool is_parent(const Stream& stream) const noexcept { return &stream == parent_.get(); }
    bool is_ancestor(std::uint32_t id) const;

    bool routed(std::uint32_t id) const;
    // Why a message for `dst` cannot be delivered (Mitogen's wording).
    std::string no_route(std::uint32_t dst) const;
    // The stream to `dst`: its route, else the parent's; nullptr in the
    // master for an unknown context.
    std::shared_ptr<Stream> route_for(std::uint32_t dst) const;
    // A direct child answered its handshake: reached through `stream`.
    void add_child(std::uint32_t id, std::string name, std::shared_ptr<Stream> stream);
    // The contexts reached through `stream` (a direct child and those behind it).
    std::vector<std::uint32_t> routed_through(const Stream& stream) const;

    // --- Decisions on what arrives from a stream ---
    // Whether a message from the child stream `from` may carry its src and
    // auth: a child speaks only for itself and the contexts behind it, and
    // acts only under the authority of one of those.
    enum class Sender { ok, bad_src, bad_auth };
    Sender check_sender(const Header& header, const Stream& from) const;
    // Whether a record from `from` may be about context `id`: routed through
    // that stream, or unknown here (a context still starting behind it,
    // whose stderr comes before its route); never this context or an ancestor.
    bool may_speak_for(std::uint32_t id, const Stream& from) const;

    // Where a message from `from` for another context goes: `out`, or
    // nowhere and `refused` says why. Notes that `from` sent to `dst`, so
    // that it hears of it if `dst` is lost.
    struct Forward {
        std::shared_ptr<Stream> out;
        std::string refused;
        bool by_policy = false;  // refused by the unidirectional policy, not for want of a route
    };
    Forward forward(const Header& header, Stream& from);

    // A child announced a context behind it: nullptr when routed, else why not.
    const char* add_route(std::uint32_t id, const std::string& name, Stream& from);
    // Which of `ids` the stream `from` may withdraw: the parent any, a child
    // only what is behind it.
    std::vector<std::uint32_t> withdrawable(const std::vector<std::uint32_t>& ids,
                                            const Stream& from) const;

    // Contexts `ids` are lost, as `from` (nullptr: here) reported. Unless the
    // parent reported it (the routes are the parent's own then), their routes
    // go; their names stay until forget_name. Returns the streams that must
    // hear of it: every other stream that sent to one of them, and the
    // parent unless it reported it.
    std::vector<std::shared_ptr<Stream>> lose(const std::vector<std::uint32_t>& ids,
                                              const Stream* from);

    // Takes every stream (routes and parent) out of the table, to close them.
    std::vector<std::shared_ptr<Stream>> take_all();

  private:
    const std::uint32_t id_;
    const std::vector<std::uint32_t> ancestors_;
    const bool unidirectional_;
    std::shared_ptr<Stream> parent_;

    mutable std::mutex mutex_;
    std::unordered_map<std::uint32_t, std::shared_ptr<Stream>> routes_;
    std::unordered_map<std::uint32_t, std::string> names_;
};

}  // namespace tether::detail
