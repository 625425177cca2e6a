// tether_bench: measures what a tether user pays (context start, call round
// trip, pipelined calls, large payloads, fan-out through a Select, memory)
// next to the machine floors measured in the same run (socketpair ping-pong,
// socketpair bulk copy, posix_spawn of /bin/true, first touch of fresh memory,
// memcpy). Prints one JSON object on stdout; docs/benchmarks.md explains it. Nothing here is
// asserted: it is a measurement, not a test. The only failures are wrong results or errors, which
// exit with status 1.
//
//   tether_bench            full run (well under a minute)
//   tether_bench --quick    short smoke run (a few seconds)
//
// The same executable is re-run as every child context, so main() starts
// with tether::init().
#include <tether/tether.hpp>

#include "support/sshd.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

extern char** environ;

// ---- functions the children run ---------------------------------------------

namespace {

constexpr std::size_t kPayloadBytes = std::size_t{16} << 20;  // 16 MiB

const tether::Blob& cached_payload() {
    static const tether::Blob blob(std::string(kPayloadBytes, 'r'));
    return blob;
}

}  // namespace

int add(int a, int b) {
    return a + b;
}

int child_pid() {
    return static_cast<int>(::getpid());
}

// The argument direction: 16 MiB in, a size out.
std::uint64_t take_blob(const tether::Blob& blob) {
    return blob.size();
}

// The return direction: a size in, 16 MiB out. The bytes are built once per
// child (warm-up call) so the timed calls measure moving them, not making
// them; the copy into the return value is part of every real return.
tether::Blob make_blob(std::uint64_t size) {
    const tether::Blob& cached = cached_payload();
    if (size == cached.size()) {
        return cached;
    }
    return tether::Blob(std::string(size, 'r'));
}

TETHER_EXPORT(add);
TETHER_EXPORT(child_pid);
TETHER_EXPORT(take_blob);
TETHER_EXPORT(make_blob);

// ---- harness -----------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Stats {
    double median = 0, p10 = 0, p90 = 0, min = 0, max = 0;
    std::size_t n = 0;
};

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    double pos = p * static_cast<double>(sorted.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    auto hi = static_cast<std::size_t>(std::ceil(pos));
    double frac = pos - static_cast<double>(lo);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

Stats stats_of(std::vector<double> v) {
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

std::string num(double v) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(std::fabs(v) >= 1000 ? 0 : (std::fabs(v) >= 10 ? 2 : 3));
    out << v;
    return out.str();
}

std::string json_string(const std::string& s) {
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

std::string json_stats(const Stats& s) {
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

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + (errno != 0 ? std::string(": ") + std::strerror(errno) : ""));
}

// Resident set size (VmRSS) or peak (VmHWM) of a process, in KiB.
long proc_status_kib(const std::string& pid, const char* field) {
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

long rss_kib(int pid) {
    return proc_status_kib(std::to_string(pid), "VmRSS");
}

// CPU time (user + system, all threads) and minor page faults of a process.
struct Usage {
    double cpu_s = 0;
    long minflt = 0;

    Usage operator-(const Usage& o) const { return {cpu_s - o.cpu_s, minflt - o.minflt}; }
    Usage operator+(const Usage& o) const { return {cpu_s + o.cpu_s, minflt + o.minflt}; }
};

Usage rusage_of(int who) {
    rusage ru{};
    ::getrusage(who, &ru);
    auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return {sec(ru.ru_utime) + sec(ru.ru_stime), ru.ru_minflt};
}

Usage self_usage() {
    return rusage_of(RUSAGE_SELF);
}

// CPU time of every live thread of a process in seconds, from
// /proc/<pid>/task/*/schedstat (nanoseconds); -1 when unavailable.
double proc_cpu_s(int pid) {
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
Usage proc_usage(int pid) {
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

std::string first_line_of(const char* path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string first_line_with(const char* path, const char* prefix) {
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

struct Config {
    bool quick = false;
    int local_starts = 40;
    int sudo_starts = 20;
    int ssh_first_starts = 5;
    int ssh_starts = 20;
    int ssh_round_trips = 2000;
    int round_trips = 20000;
    int pipelined_calls = 20000;
    int pipelined_reps = 11;
    int payload_reps = 10;
    int fanout_contexts = 8;
    int fanout_calls = 500;
    int fanout_reps = 15;

    void make_quick() {
        quick = true;
        local_starts = 5;
        sudo_starts = 3;
        ssh_first_starts = 1;
        ssh_starts = 3;
        ssh_round_trips = 200;
        round_trips = 2000;
        pipelined_calls = 20000;
        pipelined_reps = 2;
        payload_reps = 2;
        fanout_reps = 2;
    }
};

// ---- machine floors (measured before any tether thread exists) ----------------

void write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            fail("write");
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

bool read_all(int fd, char* p, std::size_t n) {
    while (n > 0) {
        ssize_t r = ::read(fd, p, n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

// Forks a child running `body(fd)` on one end of a socketpair; returns the
// other end and the child's pid.
template <class Body>
std::pair<int, pid_t> fork_peer(Body body) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        fail("socketpair");
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        fail("fork");
    }
    if (pid == 0) {
        ::close(sv[0]);
        body(sv[1]);
        ::_exit(0);
    }
    ::close(sv[1]);
    return {sv[0], pid};
}

void reap(int fd, pid_t pid) {
    ::close(fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
}

// A forked process echoing single bytes over a socketpair: the floor for a
// call's round trip. It is forked before any tether thread exists and kept
// until the end, so its samples can be taken interleaved with the tether
// round trips (both then see the same machine load).
class PingPongPeer {
  public:
    PingPongPeer() {
        std::tie(fd_, pid_) = fork_peer([](int peer) {
            char c;
            while (::read(peer, &c, 1) == 1) {
                if (::write(peer, &c, 1) != 1) {
                    break;
                }
            }
        });
    }
    ~PingPongPeer() { reap(fd_, pid_); }
    PingPongPeer(const PingPongPeer&) = delete;
    PingPongPeer& operator=(const PingPongPeer&) = delete;

    // `n` timed round trips (µs each, appended to `us`); returns the CPU
    // both processes used for them, in seconds.
    double sample(int n, std::vector<double>& us) {
        Usage before = self_usage() + proc_usage(pid_);
        echo(n, us);
        return (self_usage() + proc_usage(pid_) - before).cpu_s;
    }

    // As sample(), with this thread and the peer pinned to CPUs `mine` and
    // `peer` for the duration; false when they cannot be pinned.
    bool sample_pinned(int n, std::vector<double>& us, int mine, int peer) {
        cpu_set_t own_mask, peer_mask;
        if (::sched_getaffinity(0, sizeof own_mask, &own_mask) != 0 ||
            ::sched_getaffinity(pid_, sizeof peer_mask, &peer_mask) != 0 ||
            !CPU_ISSET(mine, &own_mask) || !CPU_ISSET(peer, &own_mask)) {
            return false;
        }
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(peer, &one);
        bool ok = ::sched_setaffinity(pid_, sizeof one, &one) == 0;
        CPU_ZERO(&one);
        CPU_SET(mine, &one);
        ok = ok && ::sched_setaffinity(0, sizeof one, &one) == 0;
        if (ok) {
            echo(n, us);
        }
        ::sched_setaffinity(0, sizeof own_mask, &own_mask);
        ::sched_setaffinity(pid_, sizeof peer_mask, &peer_mask);
        return ok;
    }

  private:
    void echo(int n, std::vector<double>& us) {
        char c = 'x';
        for (int i = 0; i < n; ++i) {
            auto t0 = Clock::now();
            write_all(fd_, &c, 1);
            if (!read_all(fd_, &c, 1)) {
                fail("ping-pong peer vanished");
            }
            us.push_back(seconds_since(t0) * 1e6);
        }
    }

    int fd_ = -1;
    pid_t pid_ = -1;
};

// An anonymous mapping, outside malloc: the floors' buffers neither count as
// tether's heap nor change how malloc behaves for it.
class MappedBuffer {
  public:
    explicit MappedBuffer(std::size_t size) : size_(size) {
        void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            fail("mmap");
        }
        data_ = static_cast<char*>(p);
    }
    ~MappedBuffer() { ::munmap(data_, size_); }
    MappedBuffer(const MappedBuffer&) = delete;
    MappedBuffer& operator=(const MappedBuffer&) = delete;

    char* data() const { return data_; }
    std::size_t size() const { return size_; }

  private:
    char* data_ = nullptr;
    std::size_t size_ = 0;
};

// A forked process that reads 16 MiB at a time and acknowledges each with one
// byte: the floor for moving a payload between two processes. Forked before
// any tether thread exists, sampled next to the payload calls.
class BulkPeer {
  public:
    BulkPeer() {
        std::tie(fd_, pid_) = fork_peer([](int peer) {
            std::vector<char> buf(kPayloadBytes);
            for (;;) {
                if (!read_all(peer, buf.data(), buf.size())) {
                    return;
                }
                char ack = 'k';
                if (::write(peer, &ack, 1) != 1) {
                    return;
                }
            }
        });
    }
    ~BulkPeer() { reap(fd_, pid_); }
    BulkPeer(const BulkPeer&) = delete;
    BulkPeer& operator=(const BulkPeer&) = delete;

    // One timed 16 MiB transfer, in MB/s (1 MB = 1e6 bytes). The first call
    // also maps and fills the buffer and warms the peer's, untimed.
    double transfer() {
        if (!data_) {
            data_ = std::make_unique<MappedBuffer>(kPayloadBytes);
            std::memset(data_->data(), 'b', data_->size());
            send();
        }
        auto t0 = Clock::now();
        send();
        return static_cast<double>(kPayloadBytes) / 1e6 / seconds_since(t0);
    }
    void release_buffer() { data_.reset(); }

  private:
    void send() {
        write_all(fd_, data_->data(), data_->size());
        char ack;
        if (!read_all(fd_, &ack, 1)) {
            fail("bulk peer vanished");
        }
    }

    int fd_ = -1;
    pid_t pid_ = -1;
    std::unique_ptr<MappedBuffer> data_;
};

// posix_spawn of /bin/true and waitpid for it, in ms.
double spawn_true_ms() {
    char arg0[] = "/bin/true";
    char* argv[] = {arg0, nullptr};
    auto t0 = Clock::now();
    pid_t pid;
    int rc = ::posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ);
    if (rc != 0) {
        errno = rc;
        fail("posix_spawn /bin/true");
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return seconds_since(t0) * 1e3;
}

// What a fresh 16 MiB buffer costs before any byte is moved (mmap, first
// write of every page, munmap), and a 16 MiB memcpy between warm buffers.
class MemoryProbe {
  public:
    MemoryProbe() : a_(kPayloadBytes), b_(kPayloadBytes) {
        std::memset(a_.data(), 'a', a_.size());
        std::memset(b_.data(), 'b', b_.size());
    }

    void sample(std::vector<double>& first_touch_ms, std::vector<double>& memcpy_ms) {
        auto t0 = Clock::now();
        {
            MappedBuffer fresh(kPayloadBytes);
            std::memset(fresh.data(), ++round_, fresh.size());
        }
        auto t1 = Clock::now();
        bool flip = round_ % 2 != 0;
        std::memcpy(flip ? a_.data() : b_.data(), flip ? b_.data() : a_.data(), kPayloadBytes);
        auto t2 = Clock::now();
        first_touch_ms.push_back(std::chrono::duration<double>(t1 - t0).count() * 1e3);
        memcpy_ms.push_back(std::chrono::duration<double>(t2 - t1).count() * 1e3);
    }

  private:
    MappedBuffer a_, b_;
    int round_ = 0;
};

// ---- tether measurements ---------------------------------------------------------

int errors = 0;

std::string compiler() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return std::string("gcc ") + __VERSION__;
#else
    return "unknown";
#endif
}

void check(bool ok, const std::string& what) {
    if (!ok) {
        ++errors;
        std::cerr << "tether_bench: wrong result: " << what << "\n";
    }
}

struct StartResult {
    std::vector<double> total_ms, start_ms, first_call_ms, shutdown_ms;
    std::vector<double> spawn_floor_ms;
};

// start() + first add() + shutdown(wait=true), end to end, each after one
// sample of floor(). The first round is left out: it warms the page cache,
// and for methods that ship the program, it is the uncached start.
template <class Start, class Floor>
StartResult bench_start(const std::string& what, int reps, Start start, Floor floor) {
    StartResult r;
    for (int i = 0; i < reps + 1; ++i) {
        double floor_ms = floor();
        auto t0 = Clock::now();
        tether::Context ctx = start();
        auto t1 = Clock::now();
        int v = ctx.call(add, 1, 2);
        auto t2 = Clock::now();
        ctx.shutdown(true);
        auto t3 = Clock::now();
        check(v == 3, what + ": add(1, 2)");
        if (i == 0) {
            continue;
        }
        auto ms = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count() * 1e3; };
        r.spawn_floor_ms.push_back(floor_ms);
        r.total_ms.push_back(ms(t0, t3));
        r.start_ms.push_back(ms(t0, t1));
        r.first_call_ms.push_back(ms(t1, t2));
        r.shutdown_ms.push_back(ms(t2, t3));
    }
    return r;
}

// Runs `words` (looked up in PATH, stdin /dev/null) and waits: its wall time
// in ms. A non-zero exit counts as a wrong result.
double run_command_ms(std::vector<std::string> words) {
    std::vector<char*> argv;
    for (auto& w : words) {
        argv.push_back(w.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    auto t0 = Clock::now();
    pid_t pid;
    int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        errno = rc;
        fail("posix_spawnp " + words[0]);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    double ms = seconds_since(t0) * 1e3;
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, words[0] + " ... " + words.back());
    return ms;
}

// `sudo -n -u <user> true` and its wait, in ms: the floor of a sudo start.
double sudo_true_ms(const std::string& user) {
    return run_command_ms({"sudo", "-n", "-u", user, "true"});
}

// Who the sudo start runs as: TETHER_BENCH_SUDO_USER, else nobody. Empty
// when this is not root with sudo (the measurement is then skipped).
std::string sudo_bench_user() {
    if (::geteuid() != 0 || ::access("/usr/bin/sudo", X_OK) != 0) {
        return "";
    }
    const char* user = std::getenv("TETHER_BENCH_SUDO_USER");
    return user != nullptr ? user : "nobody";
}

// Who the SSH starts log in as: TETHER_BENCH_SSH_USER (bench/run makes
// tt_bench, whose login shell is /bin/sh: a login shell's rc files would be
// measured on both sides and say nothing about tether). Empty: skipped.
std::string ssh_bench_user() {
    const char* user = std::getenv("TETHER_BENCH_SSH_USER");
    if (user == nullptr || tt::Sshd::missing() != "" || ::access("/usr/bin/ssh", X_OK) != 0) {
        return "";
    }
    return user;
}

// `ssh -o KexAlgorithms=curve25519-sha256 user@host true` and its wait, in
// ms: the floor of an SSH start (the same key exchange libssh negotiates).
double ssh_true_ms(const tt::Sshd& sshd, const std::string& user) {
    return run_command_ms({"ssh", "-q", "-o", "KexAlgorithms=curve25519-sha256", "-o",
                           "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o",
                           "UserKnownHostsFile=" + sshd.known_hosts(), "-o", "IdentitiesOnly=yes",
                           "-i", sshd.client_key(), "-p", std::to_string(sshd.port()),
                           user + "@" + sshd.address(), "true"});
}

// An empty directory `user` owns, for XDG_CACHE_HOME: a start that must ship.
std::string fresh_cache(const std::string& user, int n) {
    std::string dir =
        "/tmp/tether-bench-cache-" + std::to_string(::getpid()) + "-" + std::to_string(n);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    passwd* pw = ::getpwnam(user.c_str());
    if (pw == nullptr || ::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        fail("cannot give " + dir + " to " + user);
    }
    ::chmod(dir.c_str(), 0700);
    return dir;
}

struct SshBench {
    StartResult first, cached;
    std::vector<double> round_trip_us;
    std::string skipped;
};

SshBench bench_ssh(tether::Router& router, const Config& cfg) {
    SshBench r;
    const std::string user = ssh_bench_user();
    if (user.empty()) {
        r.skipped = "skipped: needs root, sshd, ssh and TETHER_BENCH_SSH_USER (bench/run sets it)";
        return r;
    }
    tt::Sshd sshd;
    tether::SshOptions options{.hostname = sshd.address(),
                               .port = sshd.port(),
                               .username = user,
                               .identity_file = sshd.client_key(),
                               .known_hosts_file = sshd.known_hosts(),
                               .use_agent = false};
    auto floor = [&] { return ssh_true_ms(sshd, user); };
    int n = 0;
    std::vector<std::string> caches;
    r.first = bench_start(
        "ssh first start", cfg.ssh_first_starts,
        [&] {
            caches.push_back(fresh_cache(user, n++));
            tether::SshOptions o = options;
            o.env = {{"XDG_CACHE_HOME", caches.back()}};
            return router.ssh(o);
        },
        floor);
    std::string cache = fresh_cache(user, n++);
    caches.push_back(cache);
    options.env = {{"XDG_CACHE_HOME", cache}};
    // The first round ships the program (and is left out): the rest are cached.
    r.cached = bench_start(
        "ssh start", cfg.ssh_starts, [&] { return router.ssh(options); }, floor);
    tether::Context ctx = router.ssh(options);
    for (int i = 0; i < 100; ++i) {
        check(ctx.call(add, i, 1) == i + 1, "ssh round trip warm-up");
    }
    for (int i = 0; i < cfg.ssh_round_trips; ++i) {
        auto t0 = Clock::now();
        int v = ctx.call(add, i, 1);
        r.round_trip_us.push_back(seconds_since(t0) * 1e6);
        check(v == i + 1, "ssh round trip: add(i, 1)");
    }
    ctx.shutdown(true);
    for (const auto& dir : caches) {
        std::filesystem::remove_all(dir);
    }
    return r;
}

struct RoundTrip {
    std::vector<double> us, floor_us;
    double cpu_us_per_call = 0;        // master and child together
    double floor_cpu_us_per_call = 0;  // both ping-pong processes
    // The floor with both processes pinned to one CPU, and to two CPUs
    // (empty when not possible).
    std::vector<double> floor_same_cpu_us, floor_cross_cpu_us;
};

// Sequential add() calls, µs each, in blocks alternating with blocks of the
// socketpair ping-pong floor.
RoundTrip bench_round_trip(const tether::Context& ctx, int child, PingPongPeer& floor,
                           int iterations) {
    constexpr int kBlocks = 4;
    constexpr int kWarmup = 1000;
    std::vector<double> ignored;
    floor.sample(kWarmup, ignored);
    for (int i = 0; i < kWarmup; ++i) {
        check(ctx.call(add, i, 1) == i + 1, "round trip warm-up");
    }
    RoundTrip r;
    r.us.reserve(static_cast<std::size_t>(iterations));
    r.floor_us.reserve(static_cast<std::size_t>(iterations));
    int wrong = 0;
    double cpu = 0, floor_cpu = 0;
    const int per_block = iterations / kBlocks;
    for (int block = 0; block < kBlocks; ++block) {
        floor_cpu += floor.sample(per_block, r.floor_us);
        Usage before = self_usage() + proc_usage(child);
        for (int i = 0; i < per_block; ++i) {
            auto t0 = Clock::now();
            int v = ctx.call(add, i, 1);
            r.us.push_back(seconds_since(t0) * 1e6);
            wrong += v != i + 1;
        }
        cpu += (self_usage() + proc_usage(child) - before).cpu_s;
    }
    floor.sample_pinned(per_block, r.floor_same_cpu_us, 0, 0);
    if (std::thread::hardware_concurrency() > 1) {
        floor.sample_pinned(per_block, r.floor_cross_cpu_us, 0, 1);
    }
    r.cpu_us_per_call = cpu * 1e6 / static_cast<double>(r.us.size());
    r.floor_cpu_us_per_call = floor_cpu * 1e6 / static_cast<double>(r.floor_us.size());
    check(wrong == 0, "round trip: add(i, 1)");
    return r;
}

// `calls` call_async back to back, then every result collected; calls/s.
std::vector<double> bench_pipelined(const tether::Context& ctx, int calls, int reps) {
    std::vector<double> rate;
    for (int rep = 0; rep < reps + 1; ++rep) {
        std::vector<tether::Receiver<int>> rx;
        rx.reserve(static_cast<std::size_t>(calls));
        auto t0 = Clock::now();
        for (int i = 0; i < calls; ++i) {
            rx.push_back(ctx.call_async(add, i, 2));
        }
        long long wrong = 0;
        for (int i = 0; i < calls; ++i) {
            wrong += rx[static_cast<std::size_t>(i)].get() != i + 2;
        }
        double s = seconds_since(t0);
        check(wrong == 0, "pipelined: add(i, 2)");
        if (rep > 0) {  // the first warms up
            rate.push_back(calls / s);
        }
    }
    return rate;
}

struct PayloadResult {
    std::vector<double> arg_mbps, ret_mbps;
    // Minor page faults per timed call.
    double arg_master_faults = 0, arg_child_faults = 0;
    double ret_master_faults = 0, ret_child_faults = 0;
    // Floors sampled between the calls.
    std::vector<double> bulk_mbps, first_touch_ms, memcpy_ms;
};

// One 16 MiB call each way per repetition, each after one sample of the bulk
// and memory floors.
PayloadResult bench_payload(const tether::Context& ctx, int child, BulkPeer& bulk, int reps) {
    PayloadResult r;
    MemoryProbe memory;
    const tether::Blob blob(std::string(kPayloadBytes, 'a'));
    const double mb = static_cast<double>(kPayloadBytes) / 1e6;
    // Times `call` and adds the page faults both processes took during it.
    auto timed = [&](auto&& call, double& master_faults, double& child_faults) {
        Usage m0 = self_usage(), c0 = proc_usage(child);
        auto t0 = Clock::now();
        call();
        double s = seconds_since(t0);
        master_faults += static_cast<double>((self_usage() - m0).minflt);
        child_faults += static_cast<double>((proc_usage(child) - c0).minflt);
        return s;
    };
    double unused = 0;
    for (int rep = 0; rep < reps + 1; ++rep) {
        if (rep > 0) {
            r.bulk_mbps.push_back(bulk.transfer());
            memory.sample(r.first_touch_ms, r.memcpy_ms);
        }
        double& mf = rep > 0 ? r.arg_master_faults : unused;
        double& cf = rep > 0 ? r.arg_child_faults : unused;
        double s = timed(
            [&] { check(ctx.call(take_blob, blob) == kPayloadBytes, "payload: take_blob size"); },
            mf, cf);
        if (rep > 0) {  // the first warms up
            r.arg_mbps.push_back(mb / s);
        }
    }
    for (int rep = 0; rep < reps + 1; ++rep) {
        if (rep > 0) {
            r.bulk_mbps.push_back(bulk.transfer());
            memory.sample(r.first_touch_ms, r.memcpy_ms);
        }
        double& mf = rep > 0 ? r.ret_master_faults : unused;
        double& cf = rep > 0 ? r.ret_child_faults : unused;
        double s = timed(
            [&] {
                tether::Blob back = ctx.call(make_blob, std::uint64_t{kPayloadBytes});
                check(back.size() == kPayloadBytes && back.data()[kPayloadBytes - 1] == 'r',
                      "payload: make_blob bytes");
            },
            mf, cf);
        if (rep > 0) {
            r.ret_mbps.push_back(mb / s);
        }
    }
    bulk.release_buffer();
    r.arg_master_faults /= reps;
    r.arg_child_faults /= reps;
    r.ret_master_faults /= reps;
    r.ret_child_faults /= reps;
    return r;
}

struct FanoutResult {
    std::vector<double> total_ms, calls_per_s;
};

// Every context gets `calls` add() calls (sent round-robin), all collected
// through one Select<int>.
FanoutResult bench_fanout(const std::vector<tether::Context>& contexts, int calls, int reps) {
    FanoutResult r;
    const int total = calls * static_cast<int>(contexts.size());
    for (int rep = 0; rep < reps + 1; ++rep) {
        auto t0 = Clock::now();
        tether::Select<int> sel;
        for (int i = 0; i < calls; ++i) {
            for (std::size_t c = 0; c < contexts.size(); ++c) {
                sel.add(contexts[c].call_async(add, i, static_cast<int>(c)));
            }
        }
        long long sum = 0;
        int got = 0;
        while (!sel.empty()) {
            sum += sel.get(std::chrono::seconds(60)).value();
            ++got;
        }
        double s = seconds_since(t0);
        long long n = calls;
        long long want = static_cast<long long>(contexts.size()) * (n * (n - 1) / 2) +
                         n * static_cast<long long>(contexts.size() * (contexts.size() - 1) / 2);
        check(got == total && sum == want, "fan-out: results");
        if (rep > 0) {
            r.total_ms.push_back(s * 1e3);
            r.calls_per_s.push_back(total / s);
        }
    }
    return r;
}

int run(const Config& cfg) {
    auto started = Clock::now();
    const std::string self = std::to_string(::getpid());
    long master_rss_start = proc_status_kib(self, "VmRSS");

    // The floors' peer processes are forked now, while this process is still
    // single-threaded; every floor is sampled next to the tether measurement
    // it is compared with, so both see the same machine load.
    const std::string load_start = first_line_of("/proc/loadavg");
    PingPongPeer pingpong_peer;
    BulkPeer bulk_peer;

    JsonObject out;
    utsname u{};
    ::uname(&u);
    JsonObject machine;
    machine.integer("nproc", static_cast<long long>(std::thread::hardware_concurrency()))
        .str("cpu_model", first_line_with("/proc/cpuinfo", "model name"))
        .str("kernel", std::string(u.sysname) + " " + u.release + " " + u.machine)
        .str("compiler", compiler())
        .str("loadavg_at_start", load_start);
    out.str("benchmark", "tether_bench")
        .str("mode", cfg.quick ? "quick" : "full")
        .raw("machine", machine.render(2))
        .str("units",
             "ms and us are wall-clock (steady_clock) durations; MB = 1e6 bytes; KiB from "
             "/proc/<pid>/status; stats are over repetitions after one warm-up");

    long master_rss_router = 0;
    long child_rss_after_calls = 0;
    long child_rss_after_payload = 0;
    Stats child_rss_fresh;
    StartResult start;
    StartResult sudo_start;
    const std::string sudo_user = sudo_bench_user();
    SshBench ssh;
    RoundTrip round_trip;
    Stats rt, pingpong, pingpong_same_cpu, pingpong_cross_cpu, pipelined;
    PayloadResult payload;
    FanoutResult fanout;
    {
        // The documented lower-level order: broker.shutdown() while the
        // Router is still alive, on every path out. (Destroying the Router
        // first, as run_with_router does, can free the router's state on the
        // broker thread while shutdown() still uses it: docs/benchmarks.md.)
        tether::Broker broker;
        tether::Router router(broker);
        struct ShutdownFirst {
            tether::Broker& broker;
            ~ShutdownFirst() { broker.shutdown(); }
        } shutdown_first{broker};
        {
            master_rss_router = proc_status_kib(self, "VmRSS");

            start = bench_start(
                "local start", cfg.local_starts, [&] { return router.local(); }, spawn_true_ms);
            if (!sudo_user.empty()) {
                // The program is cached for `sudo_user` after the first round.
                sudo_start = bench_start(
                    "sudo start", cfg.sudo_starts,
                    [&] { return router.sudo({.username = sudo_user}); },
                    [&] { return sudo_true_ms(sudo_user); });
            }

            ssh = bench_ssh(router, cfg);

            tether::Context one = router.local();
            int pid = one.call(child_pid);
            round_trip = bench_round_trip(one, pid, pingpong_peer, cfg.round_trips);
            rt = stats_of(round_trip.us);
            pingpong = stats_of(round_trip.floor_us);
            pingpong_same_cpu = stats_of(round_trip.floor_same_cpu_us);
            pingpong_cross_cpu = stats_of(round_trip.floor_cross_cpu_us);
            pipelined = stats_of(bench_pipelined(one, cfg.pipelined_calls, cfg.pipelined_reps));
            child_rss_after_calls = rss_kib(pid);
            payload = bench_payload(one, pid, bulk_peer, cfg.payload_reps);
            child_rss_after_payload = rss_kib(pid);
            one.shutdown(true);

            std::vector<tether::Context> contexts;
            std::vector<double> fresh;
            for (int i = 0; i < cfg.fanout_contexts; ++i) {
                contexts.push_back(router.local());
                // A fresh child after one call: its baseline footprint.
                fresh.push_back(static_cast<double>(rss_kib(contexts.back().call(child_pid))));
            }
            child_rss_fresh = stats_of(fresh);
            fanout = bench_fanout(contexts, cfg.fanout_calls, cfg.fanout_reps);
            for (auto& c : contexts) {
                c.shutdown();
            }
            for (auto& c : contexts) {
                c.shutdown(true);
            }
        }
        broker.shutdown();
    }

    Stats bulk = stats_of(payload.bulk_mbps);
    Stats spawn = stats_of(start.spawn_floor_ms);
    Stats payload_arg = stats_of(payload.arg_mbps);
    Stats payload_ret = stats_of(payload.ret_mbps);

    out.raw("local_start_ms", JsonObject()
                                  .str("what", "router.local() + first add() + shutdown(wait=true)")
                                  .stats("total", stats_of(start.total_ms))
                                  .stats("local", stats_of(start.start_ms))
                                  .stats("first_call", stats_of(start.first_call_ms))
                                  .stats("shutdown_wait", stats_of(start.shutdown_ms))
                                  .render(2));
    if (sudo_user.empty()) {
        out.str("sudo_start_ms", "skipped: needs root and /usr/bin/sudo");
    } else {
        out.raw("sudo_start_ms",
                JsonObject()
                    .str("what", "router.sudo() to " + sudo_user +
                                     " (program cached) + first add() + shutdown(wait=true); "
                                     "floor: sudo -n -u " +
                                     sudo_user + " true, interleaved")
                    .stats("total", stats_of(sudo_start.total_ms))
                    .stats("sudo", stats_of(sudo_start.start_ms))
                    .stats("first_call", stats_of(sudo_start.first_call_ms))
                    .stats("shutdown_wait", stats_of(sudo_start.shutdown_ms))
                    .stats("floor_sudo_true", stats_of(sudo_start.spawn_floor_ms))
                    .render(2));
    }
    if (!ssh.skipped.empty()) {
        out.str("ssh_ms", ssh.skipped);
    } else {
        out.raw("ssh_ms",
                JsonObject()
                    .str("what",
                         "router.ssh() to 127.0.0.1 (a throwaway sshd) + first add() + "
                         "shutdown(wait=true); first: an empty cache each time (the program is "
                         "shipped), cached: the program already there; floor: ssh -o "
                         "KexAlgorithms=curve25519-sha256 user@host true, interleaved")
                    .stats("first_start", stats_of(ssh.first.start_ms))
                    .stats("first_floor_ssh_true", stats_of(ssh.first.spawn_floor_ms))
                    .stats("cached_start", stats_of(ssh.cached.start_ms))
                    .stats("cached_total", stats_of(ssh.cached.total_ms))
                    .stats("cached_floor_ssh_true", stats_of(ssh.cached.spawn_floor_ms))
                    .stats("round_trip_us", stats_of(ssh.round_trip_us))
                    .render(2));
    }
    out.raw("round_trip_us", JsonObject()
                                 .str("what",
                                      "sequential add(int, int) on one child, in 4 blocks "
                                      "alternating with the socketpair ping-pong floor")
                                 .stats("per_call", rt)
                                 .number("cpu_us_per_call", round_trip.cpu_us_per_call)
                                 .render(2));
    out.raw("pipelined", JsonObject()
                             .str("what", "N call_async(add) back to back, then every get()")
                             .integer("calls", cfg.pipelined_calls)
                             .stats("calls_per_s", pipelined)
                             .render(2));
    out.raw("payload_16mib",
            JsonObject()
                .str("what",
                     "one call each way, MB/s one way: arg = 16 MiB Blob argument, 8-byte "
                     "reply; ret = 8-byte argument, 16 MiB Blob reply")
                .integer("bytes", static_cast<long long>(kPayloadBytes))
                .stats("arg_mb_per_s", payload_arg)
                .stats("ret_mb_per_s", payload_ret)
                .raw("minor_faults_per_call", JsonObject()
                                                  .number("arg_master", payload.arg_master_faults)
                                                  .number("arg_child", payload.arg_child_faults)
                                                  .number("ret_master", payload.ret_master_faults)
                                                  .number("ret_child", payload.ret_child_faults)
                                                  .render(4))
                .render(2));
    out.raw("fanout", JsonObject()
                          .str("what", std::to_string(cfg.fanout_contexts) + " contexts x " +
                                           std::to_string(cfg.fanout_calls) +
                                           " add() calls, round-robin, one Select<int>")
                          .integer("contexts", cfg.fanout_contexts)
                          .integer("calls_per_context", cfg.fanout_calls)
                          .stats("total_ms", stats_of(fanout.total_ms))
                          .stats("calls_per_s", stats_of(fanout.calls_per_s))
                          .render(2));
    out.raw("rss_kib", JsonObject()
                           .stats("child_fresh", child_rss_fresh)
                           .integer("child_after_calls", child_rss_after_calls)
                           .integer("child_after_16mib_payloads", child_rss_after_payload)
                           .integer("master_start", master_rss_start)
                           .integer("master_with_router", master_rss_router)
                           .integer("master_end", proc_status_kib(self, "VmRSS"))
                           .render(2));
    out.raw("floors", JsonObject()
                          .stats("socketpair_pingpong_us", pingpong)
                          .number("socketpair_pingpong_cpu_us", round_trip.floor_cpu_us_per_call)
                          .stats("socketpair_pingpong_same_cpu_us", pingpong_same_cpu)
                          .stats("socketpair_pingpong_cross_cpu_us", pingpong_cross_cpu)
                          .stats("socketpair_bulk_16mib_mb_per_s", bulk)
                          .stats("posix_spawn_true_ms", spawn)
                          .stats("fresh_16mib_first_touch_ms", stats_of(payload.first_touch_ms))
                          .stats("memcpy_16mib_warm_ms", stats_of(payload.memcpy_ms))
                          .render(2));
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    out.raw(
        "ratios",
        JsonObject()
            .number("round_trip_over_pingpong", ratio(rt.median, pingpong.median))
            .number("round_trip_over_pingpong_same_cpu", ratio(rt.median, pingpong_same_cpu.median))
            .number("round_trip_cpu_over_pingpong_cpu",
                    ratio(round_trip.cpu_us_per_call, round_trip.floor_cpu_us_per_call))
            .number("payload_arg_over_bulk", ratio(payload_arg.median, bulk.median))
            .number("payload_ret_over_bulk", ratio(payload_ret.median, bulk.median))
            .number("local_start_over_spawn", ratio(stats_of(start.total_ms).median, spawn.median))
            .number("sudo_start_over_sudo_true", ratio(stats_of(sudo_start.start_ms).median,
                                                       stats_of(sudo_start.spawn_floor_ms).median))
            .number("ssh_cached_start_over_ssh_true",
                    ratio(stats_of(ssh.cached.start_ms).median,
                          stats_of(ssh.cached.spawn_floor_ms).median))
            .render(2));
    out.str("loadavg_at_end", first_line_of("/proc/loadavg"))
        .integer("errors", errors)
        .number("elapsed_s", seconds_since(started));
    std::cout << out.render() << std::endl;
    return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    tether::init(argc, argv);
    Config cfg;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--quick") {
            cfg.make_quick();
        } else if (a == "-h" || a == "--help") {
            std::cout << "usage: " << argv[0] << " [--quick]\n"
                      << "Prints one JSON object of tether timings and machine floors.\n";
            return 0;
        } else {
            std::cerr << "tether_bench: unknown argument '" << a << "' (try --help)\n";
            return 2;
        }
    }
    try {
        return run(cfg);
    } catch (const std::exception& e) {
        std::cerr << "tether_bench: " << e.what() << "\n";
        return 1;
    }
}
