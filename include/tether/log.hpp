// Logging setup for programs using tether. Levels come from TETHER_LOG_LEVEL
// (trace, debug, info, warning, error, io; default info); `io` is debug plus
// a record of every message crossing every stream. Children inherit the
// master's level and forward their records (and their stdout/stderr lines)
// to the master, which logs them as `tether.ctx.<context name>`.
#pragma once

#include <string>
#include <string_view>

namespace tether {

// Sends tether's log lines to `path` (appending), or to stderr when empty.
// Thread safety: any thread.
void log_to_file(const std::string& path = "");

// Sets the level by name, as TETHER_LOG_LEVEL would. Throws tether::Error for
// an unknown name.
void set_log_level(std::string_view level);

}  // namespace tether
