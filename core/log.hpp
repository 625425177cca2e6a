// tether's internal logging. Only core/log.cpp includes spdlog (compile time,
// and a shipped child that needs no shared spdlog/fmt); everything else builds
// a line with str() behind a cheap level check:
//
//   TETHER_LOG(LogLevel::debug, "tether.router", "dead reply: ", reason);
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

namespace tether::detail {

enum class LogLevel : int { trace = 0, debug = 1, info = 2, warning = 3, error = 4, off = 6 };

bool log_enabled(LogLevel level) noexcept;
// True at level `io`: every message crossing a stream is logged.
bool io_logging() noexcept;

// The level code of `io` (debug, and every message on every stream).
inline constexpr int kIoLevelCode = 5;

// Current level as sent to children, and its restoration there.
int log_level_code() noexcept;
void set_log_level_code(int code);

void log_line(LogLevel level, std::string_view logger, std::string_view message);

// In a child: every log line goes to `forward` instead of the local sink (set
// once the parent stream is up; cleared before it goes away). `origin` of a
// forwarded line is this context.
using LogForwarder = std::function<void(int level, std::string_view logger, std::string_view)>;
void set_log_forwarder(LogForwarder forward);

// Logs a line that arrived from another context, as `tether.ctx.<context>`.
void log_remote(int level, std::string_view context_name, std::string_view logger,
                std::string_view message);

inline void append_str(std::string& out, std::string_view s) {
    out.append(s);
}
inline void append_str(std::string& out, const char* s) {
    out.append(s);
}
inline void append_str(std::string& out, const std::string& s) {
    out.append(s);
}
inline void append_str(std::string& out, char c) {
    out.push_back(c);
}
template <class T>
requires std::is_arithmetic_v<T>
void append_str(std::string& out, T value) {
    out.append(std::to_string(value));
}

template <class... A>
std::string str(const A&... parts) {
    std::string out;
    (append_str(out, parts), ...);
    return out;
}

}  // namespace tether::detail

#define TETHER_LOG(level, logger, ...)                                                     \
    do {                                                                                   \
        if (::tether::detail::log_enabled(level)) {                                        \
            ::tether::detail::log_line(level, logger, ::tether::detail::str(__VA_ARGS__)); \
        }                                                                                  \
    } while (false)
