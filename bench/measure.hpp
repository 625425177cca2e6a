// Measurement helpers for tether_bench: wall-clock statistics, a small JSON
// writer, and what /proc says about a process (RSS, CPU time, page faults).
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Stats {
    double median = 0, p10 = 0, p90 = 0, min = 0, max = 0;
    std::size_t n = 0;
};

inline double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    double pos = p * static_cast<double>(sorted.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    auto hi = static_cast<std::size_t>(std::ceil(pos));
    double frac = pos - static_cast<double>(lo);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

inline Stats stats_of(std::vector<double> v) {
    Stats s;
    std::sort(v.begin(), v.end());
    s.n = v.size();
    if (v.empty()) {
        return s;
    }
    s.median = percentile(v, 0.5);
    s.p10 = percentile(v, 0.1);
    s.p90 = percentile(v, 0.9);
    s.min = v.front();
    s.max = v.back();
    return s;
}

inline std::string num(double v) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(std::fabs(v) >= 1000 ? 0 : (std::fabs(v) >= 10 ? 2 : 3));
    out << v;
    return out.str();
}

inline std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

inline std::string json_stats(const Stats& s) {
    return "{\"median\": " + num(s.median) + ", \"p10\": " + num(s.p10) +
           ", \"p90\": " + num(s.p90) + ", \"min\": " + num(s.min) + ", \"max\": " + num(s.max) +
           ", \"n\": " + std::to_string(s.n) + "}";
}

// A JSON object written field by field, nested objects as pre-rendered text.
class JsonObject {
  public:
    JsonObject& raw(const std::string& key, const std::string& json) {
        fields_.emplace_back(key, json);
        return *this;
    }
    JsonObject& str(const std::string& key, const std::string& value) {
        return raw(key, json_string(value));
    }
    JsonObject& number(const std::string& key, double value) { return raw(key, num(value)); }
    JsonObject& integer(const std::string& key, long long value) {
        return raw(key, std::to_string(value));
    }
    JsonObject& stats(const std::string& key, const Stats& s) { return raw(key, json_stats(s)); }

    std::string render(int indent = 0) const {
        std::string pad(static_cast<std::size_t>(indent + 2), ' ');
        std::string out = "{\n";
        for (std::size_t i = 0; i < fields_.size(); ++i) {
            out += pad + json_string(fields_[i].first) + ": " + fields_[i].second;
            out += i + 1 < fields_.size() ? ",\n" : "\n";
        }
        return out + std::string(static_cast<std::size_t>(indent), ' ') + "}";
    }

  private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

[[noreturn]] inline void fail(const std::string& what) {
    throw std::runtime_error(what + (errno != 0 ? std::string(": ") + std::strerror(errno) : ""));
}

// Resident set size (VmRSS) or peak (VmHWM) of a process, in KiB.
inline long proc_status_kib(const std::string& pid, const char* field) {
    std::ifstream in("/proc/" + pid + "/status");
    std::string line;
    std::string key = std::string(field) + ":";
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) == 0) {
            return std::strtol(line.c_str() + key.size(), nullptr, 10);
        }
    }
    return -1;
}

inline long rss_kib(int pid) {
    return proc_status_kib(std::to_string(pid), "VmRSS");
}

// CPU time (user + system, all threads) and minor page faults of a process.
struct Usage {
    double cpu_s = 0;
    long minflt = 0;

    Usage operator-(const Usage& o) const { return {cpu_s - o.cpu_s, minflt - o.minflt}; }
    Usage operator+(const Usage& o) const { return {cpu_s + o.cpu_s, minflt + o.minflt}; }
};

inline Usage rusage_of(int who) {
    rusage ru{};
    ::getrusage(who, &ru);
    auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return {sec(ru.ru_utime) + sec(ru.ru_stime), ru.ru_minflt};
}

inline Usage self_usage() {
    return rusage_of(RUSAGE_SELF);
}

// CPU time of every live thread of a process in seconds, from
// /proc/<pid>/task/*/schedstat (nanoseconds); -1 when unavailable.
inline double proc_cpu_s(int pid) {
    std::error_code ec;
    std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", ec);
    if (ec) {
        return -1;
    }
    double ns = 0;
    for (const auto& task : tasks) {
        std::ifstream in(task.path() / "schedstat");
        double on_cpu = 0;
        if (!(in >> on_cpu)) {
            return -1;
        }
        ns += on_cpu;
    }
    return ns / 1e9;
}

// From /proc/<pid>/stat (summed over the process's threads); the CPU time
// from schedstat when available, as stat counts in 10 ms clock ticks.
inline Usage proc_usage(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (close == std::string::npos) {
        return {};
    }
    std::istringstream fields(text.substr(close + 2));
    std::vector<std::string> f;
    std::string field;
    while (fields >> field) {
        f.push_back(field);
    }
    // f[0] is field 3 (state): minflt is field 10, utime 14, stime 15.
    if (f.size() < 13) {
        return {};
    }
    double cpu = proc_cpu_s(pid);
    if (cpu < 0) {
        cpu = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    return {cpu, std::stol(f[7])};
}

inline std::string first_line_of(const char* path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

inline std::string first_line_with(const char* path, const char* prefix) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(prefix, 0) == 0) {
            auto colon = line.find(':');
            std::string v = colon == std::string::npos ? line : line.substr(colon + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    }
    return "unknown";
}

inline int errors = 0;

inline std::string compiler() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return std::string("gcc ") + __VERSION__;
#else
    return "unknown";
#endif
}

inline void check(bool ok, const std::string& what) {
    if (!ok) {
        ++errors;
        std::cerr << "tether_bench: wrong result: " << what << "\n";
    }
}

}  // namespace bench
