// Options for the Router and for each way of starting a context. Flat
// aggregates for designated initializers: method fields first, then the
// common fields in the order of shared/API.md. Value types.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tether/context.hpp"

namespace tether {

// Decided by the master and inherited by every descendant.
struct RouterOptions {
    // Largest payload accepted on send and on receive; a larger call fails
    // with ChannelError "message too large (max N bytes)".
    std::size_t max_message_size = std::size_t{128} << 20;
    // True: a child cannot reach its siblings or cousins, only its ancestors.
    bool unidirectional = true;
};

struct LocalOptions {
    // The command run as the child. Empty: this program itself (the usual
    // case). Set it to wrap the program (e.g. {"valgrind", "/path/to/self"}),
    // or in tests to run something that is not tether at all.
    std::vector<std::string> program = {};

    std::string name = {};         // default local.<pid>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    // Logs every message crossing this context's stream (here and in the
    // context) and runs the context at the `io` log level, whatever the
    // level elsewhere; its records reach the master's log.
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

}  // namespace tether
