// A master for one test: a Broker and a Router, shut down when the test ends.
// And helpers shared by the test files.
#pragma once

#include <tether/tether.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "functions.hpp"
#include "leak_check.hpp"

namespace tt {

struct Master {
    explicit Master(tether::RouterOptions options = {}) : router(broker, options) {}
    ~Master() { broker.shutdown(); }

    tether::Broker broker;
    tether::Router router;
};

// What the ChannelError `fn` throws says (its reason()); "(no ChannelError)"
// when it throws none. Other exceptions go on to the test.
inline std::string channel_reason(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const tether::ChannelError& e) {
        return e.reason();
    }
    return "(no ChannelError)";
}

// The ChannelError a call ends with: nullopt when it ends otherwise (a value,
// another error, or nothing within 30 s).
template <class T>
std::optional<tether::ChannelError> channel_error(tether::Receiver<T>& rx) {
    try {
        rx.get(std::chrono::seconds(30));
    } catch (const tether::ChannelError& e) {
        return e;
    } catch (...) {
    }
    return std::nullopt;
}

// Why a call's context was lost, as its ChannelError says (within 30 s).
template <class T>
std::string lost_reason(tether::Receiver<T>& rx) {
    return channel_reason([&rx] { rx.get(std::chrono::seconds(30)); });
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Polls (this is a test's deadline, not synchronisation): whether `pid` is
// gone within `limit`.
inline bool gone_within(int pid, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (tt::process_alive(pid)) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

// The ConnectError `start` throws, its what() and diagnostics together, or
// "(no ConnectError)".
inline std::string connect_failure(const std::function<void()>& start) {
    try {
        start();
    } catch (const tether::ConnectError& e) {
        return std::string(e.what()) + "\n" + e.diagnostics();
    }
    return "(no ConnectError)";
}

// Runs `command` with /bin/sh: its exit status (as pclose gives it) and its
// output, both streams in order. Blocks until it exits.
inline std::pair<int, std::string> shell(const std::string& command) {
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "re");
    std::string out;
    char buffer[4096];
    for (std::size_t n; pipe && (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
        out.append(buffer, n);
    }
    int status = pipe ? ::pclose(pipe) : -1;
    return {status, out};
}

// Sends tether's log to a temporary file for the test's duration.
class LogCapture {
  public:
    LogCapture() : path_(tt::temp_path("log")) { tether::log_to_file(path_); }
    ~LogCapture() {
        tether::log_to_file("");
        ::unlink(path_.c_str());
    }
    std::string text() const {
        std::ifstream in(path_);
        std::ostringstream all;
        all << in.rdbuf();
        return all.str();
    }
    std::size_t count(const std::string& needle) const {
        std::string all = text();
        std::size_t n = 0;
        for (std::size_t at = all.find(needle); at != std::string::npos;
             at = all.find(needle, at + 1)) {
            ++n;
        }
        return n;
    }

  private:
    std::string path_;
};

}  // namespace tt
