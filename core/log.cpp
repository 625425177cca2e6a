#include "core/log.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "core/secret_scope.hpp"
#include "tether/errors.hpp"
#include "tether/log.hpp"

namespace tether::detail {
namespace {

// The level code sent to children: 0..4 as LogLevel, 5 = io (debug + io).
constexpr int kIoCode = kIoLevelCode;

int parse_level(std::string_view name) {
    static const std::map<std::string_view, int> levels = {
        {"trace", 0}, {"debug", 1},    {"info", 2},  {"warning", 3}, {"warn", 3},
        {"error", 4}, {"io", kIoCode}, {"off", 6},   {"TRACE", 0},   {"DEBUG", 1},
        {"INFO", 2},  {"WARNING", 3},  {"ERROR", 4}, {"IO", kIoCode}};
    auto it = levels.find(name);
    return it == levels.end() ? -1 : it->second;
}

int level_from_environment() {
    const char* env = std::getenv("TETHER_LOG_LEVEL");
    if (env == nullptr || *env == '\0') {
        return 2;
    }
    int code = parse_level(env);
    return code < 0 ? 2 : code;
}

std::atomic<int> g_level{level_from_environment()};

spdlog::level::level_enum to_spdlog(int level) {
    switch (level) {
        case 0:
            return spdlog::level::trace;
        case 1:
            return spdlog::level::debug;
        case 2:
            return spdlog::level::info;
        case 3:
            return spdlog::level::warn;
        case 4:
            return spdlog::level::err;
        default:
            return spdlog::level::critical;
    }
}

constexpr const char* kPattern = "%H:%M:%S.%f %L %n: %v";

// The loggers and the one sink they share. Loggers are made on first use and
// kept; a thread-safe sink serializes writes from the broker and user threads.
struct Loggers {
    std::mutex mutex;
    spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> by_name;
    LogForwarder forwarder;

    std::shared_ptr<spdlog::logger> get(std::string_view name) {
        auto it = by_name.find(name);
        if (it != by_name.end()) {
            return it->second;
        }
        auto logger = std::make_shared<spdlog::logger>(std::string(name), sink);
        logger->set_pattern(kPattern);
        logger->set_level(spdlog::level::trace);
        logger->flush_on(spdlog::level::trace);
        by_name.emplace(std::string(name), logger);
        return logger;
    }
};

Loggers& loggers() {
    static Loggers* instance = new Loggers();  // never destroyed: usable during exit
    return *instance;
}

thread_local bool t_forwarding = false;

}  // namespace

bool log_enabled(LogLevel level) noexcept {
    int current = g_level.load(std::memory_order_relaxed);
    if (current == kIoCode) {
        current = 1;
    }
    return static_cast<int>(level) >= current;
}

bool io_logging() noexcept {
    return g_level.load(std::memory_order_relaxed) == kIoCode;
}

int log_level_code() noexcept {
    return g_level.load(std::memory_order_relaxed);
}

void set_log_level_code(int code) {
    g_level.store(code, std::memory_order_relaxed);
}

void set_log_forwarder(LogForwarder forward) {
    std::lock_guard lock(loggers().mutex);
    loggers().forwarder = std::move(forward);
}

void log_line(LogLevel level, std::string_view logger, std::string_view message) {
    std::string redacted;
    if (has_decoded_secrets()) {
        redacted = redact_decoded(std::string(message));
        message = redacted;
    }
    Loggers& all = loggers();
    std::unique_lock lock(all.mutex);
    if (all.forwarder && !t_forwarding) {
        LogForwarder forward = all.forwarder;
        lock.unlock();
        // A line logged while forwarding (the router logging the forward
        // itself) would recurse: it goes to the local sink instead.
        t_forwarding = true;
        try {
            forward(static_cast<int>(level), logger, message);
        } catch (...) {
        }
        t_forwarding = false;
        return;
    }
    auto target = all.get(logger);
    lock.unlock();
    target->log(to_spdlog(static_cast<int>(level)), "{}", message);
}

void log_remote(int level, std::string_view context_name, std::string_view logger,
                std::string_view message) {
    // No second filter here: the context that sent the record applied its
    // own level (the master's, or io for a context started with `debug`).
    if (level < 0 || level > 4) {
        return;
    }
    std::string name = "tether.ctx.";
    name.append(context_name);
    std::string line(logger);
    line.append(": ");
    line.append(message);
    log_line(static_cast<LogLevel>(level), name, line);
}

}  // namespace tether::detail

namespace tether {

void log_to_file(const std::string& path) {
    auto& all = detail::loggers();
    spdlog::sink_ptr sink;
    if (path.empty()) {
        sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
        sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
    }
    // The pattern lives in the sink: a new one gets it too, or the loggers
    // made before this call would write spdlog's default lines.
    sink->set_pattern(detail::kPattern);
    std::lock_guard lock(all.mutex);
    all.sink = sink;
    for (auto& [name, logger] : all.by_name) {
        logger->sinks().clear();
        logger->sinks().push_back(sink);
    }
}

void set_log_level(std::string_view level) {
    int code = detail::parse_level(level);
    if (code < 0) {
        throw Error("tether: unknown log level '" + std::string(level) +
                    "' (want trace, debug, info, warning, error or io)");
    }
    detail::set_log_level_code(code);
}

}  // namespace tether
