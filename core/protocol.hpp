// Payloads of tether's own messages (docs/protocol.md). Internal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tether::detail {

// Parent -> new child, the first message on a new stream (handle kBoot).
struct BootConfig {
    std::uint32_t context_id = 0;
    std::vector<std::uint32_t> parent_ids;  // nearest first, ending with 0
    std::vector<std::string> parent_names;  // parallel to parent_ids
    std::string name;
    std::string remote_name;
    std::uint64_t max_message_size = 0;
    bool unidirectional = true;
    int log_level = 2;
    bool debug = false;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(context_id, parent_ids, parent_names, name, remote_name, max_message_size,
           unidirectional, log_level, debug);
    }
};

struct BootAck {
    std::int32_t pid = 0;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(pid);
    }
};

// Child -> ancestors: a context is now reachable through the sender.
struct RouteAdded {
    std::uint32_t id = 0;
    std::string name;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(id, name);
    }
};

// Up to the master and down to whoever talked to them: contexts are gone.
struct RoutesDeleted {
    std::vector<std::uint32_t> ids;
    std::string reason;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(ids, reason);
    }
};

// Any context -> master: a log line. `origin` is the context it is about
// (a child forwarding a grandchild's stderr names the grandchild).
struct LogRecord {
    std::uint32_t origin = 0;
    std::int32_t level = 2;
    std::string logger;
    std::string text;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(origin, level, logger, text);
    }
};

template <class T>
std::string encode(const T& value);

// Throws WireError for a payload that is not exactly one T.
template <class T>
T decode(const std::string& payload);

}  // namespace tether::detail

#include "tether/detail/wire.hpp"

namespace tether::detail {

template <class T>
std::string encode(const T& value) {
    std::string out;
    encode_exact(out, value);
    return out;
}

template <class T>
T decode(const std::string& payload) {
    WireReader reader(payload);
    T value{};
    reader(value);
    if (reader.remaining() != 0) {
        throw WireError("trailing bytes after message body");
    }
    return value;
}

}  // namespace tether::detail
