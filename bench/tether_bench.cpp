// tether_bench: measures what a tether user pays (context start, call round
// trip, pipelined calls, large payloads, fan-out through a Select, memory)
// next to the machine floors measured in the same run (socketpair ping-pong,
// socketpair bulk copy, posix_spawn of /bin/true, first touch of fresh memory,
// memcpy). Prints one JSON object on stdout; docs/benchmarks.md explains it. Nothing here is
// asserted: it is a measurement, not a test. The only failures are wrong results or errors, which
// exit with status 1.
//
//   tether_bench            full run (about a minute)
//   tether_bench --quick    short smoke run (a few seconds)
//   tether_bench --floors   the machine's floors only (bench/compare)
//   tether_bench --sshd     a throwaway sshd for bench/compare to share
//
// The same executable is re-run as every child context, so main() starts
// with tether::init().
#include <tether/tether.hpp>

#include "floors.hpp"
#include "measure.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

using namespace bench;

// ---- functions the children run ---------------------------------------------

namespace {

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

// CPU time this process has had so far, every thread counted, in ms
// (/proc/self/task/*/schedstat: nanoseconds on a CPU). For a fresh child
// it is the work its start cost, whatever the machine's load made the
// start wait: an exec'd child's includes the exec and the dynamic loader.
double own_cpu_ms() {
    double ns = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream in(task.path() / "schedstat");
        double on_cpu = 0;
        if (in >> on_cpu) {
            ns += on_cpu;
        }
    }
    return ns / 1e6;
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
TETHER_EXPORT(own_cpu_ms);
TETHER_EXPORT(take_blob);
TETHER_EXPORT(make_blob);

// ---- harness -----------------------------------------------------------------

namespace {

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
    int start8_reps = 10;
    int scale_contexts = 200;
    int scale_reps = 3;

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
        start8_reps = 2;
        scale_contexts = 10;
        scale_reps = 1;
    }
};

// ---- tether measurements ---------------------------------------------------------

struct StartResult {
    std::vector<double> total_ms, start_ms, first_call_ms, shutdown_ms;
    std::vector<double> spawn_floor_ms;
    std::vector<double> child_cpu_ms;  // the child's own CPU time after its first call
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
        double cpu = ctx.call(own_cpu_ms);  // not timed
        auto t2b = Clock::now();
        ctx.shutdown(true);
        auto t3 = Clock::now();
        check(v == 3, what + ": add(1, 2)");
        if (i == 0) {
            continue;
        }
        auto ms = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count() * 1e3; };
        r.spawn_floor_ms.push_back(floor_ms);
        r.total_ms.push_back(ms(t0, t2) + ms(t2b, t3));
        r.start_ms.push_back(ms(t0, t1));
        r.first_call_ms.push_back(ms(t1, t2));
        r.shutdown_ms.push_back(ms(t2b, t3));
        r.child_cpu_ms.push_back(cpu);
    }
    return r;
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
    SshTarget sshd = ssh_target();
    tether::SshOptions options{.hostname = sshd.address,
                               .port = sshd.port,
                               .username = user,
                               .identity_file = sshd.client_key,
                               .known_hosts_file = sshd.known_hosts,
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
    std::vector<double> us, floor_us, relay_us;
    double cpu_us_per_call = 0;        // master and child together
    double floor_cpu_us_per_call = 0;  // both ping-pong processes
    // The floor with both processes pinned to one CPU, and to two CPUs
    // (empty when not possible).
    std::vector<double> floor_same_cpu_us, floor_cross_cpu_us;
};

// Sequential add() calls, µs each, in blocks alternating with blocks of the
// socketpair ping-pong floor.
RoundTrip bench_round_trip(const tether::Context& ctx, int child, PingPongPeer& floor,
                           RelayPeer& relay, int iterations) {
    constexpr int kBlocks = 4;
    constexpr int kWarmup = 1000;
    std::vector<double> ignored;
    floor.sample(kWarmup, ignored);
    relay.sample(kWarmup, ignored);
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
        relay.sample(per_block, r.relay_us);
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

// `n` local contexts through one start_all().
std::vector<tether::Context> start_many(tether::Router& router, int n) {
    std::vector<tether::ContextOptions> options(static_cast<std::size_t>(n),
                                                tether::LocalOptions{});
    std::vector<tether::Context> contexts;
    for (auto& started : router.start_all(options)) {
        contexts.push_back(started.get());
    }
    return contexts;
}

// One add() to every context, all collected through one Select<int>.
void call_each_once(const std::vector<tether::Context>& contexts) {
    tether::Select<int> sel;
    for (std::size_t c = 0; c < contexts.size(); ++c) {
        sel.add(contexts[c].call_async(add, 1, static_cast<int>(c)));
    }
    long long sum = 0;
    std::size_t got = 0;
    while (!sel.empty()) {
        sum += sel.get(std::chrono::seconds(60)).value();
        ++got;
    }
    const auto n = static_cast<long long>(contexts.size());
    check(got == contexts.size() && sum == n + n * (n - 1) / 2, "call each once: results");
}

// Asks every context to exit, then waits for all of them.
void shutdown_all(const std::vector<tether::Context>& contexts) {
    for (const auto& c : contexts) {
        c.shutdown();
    }
    for (const auto& c : contexts) {
        c.shutdown(true);
    }
}

// `n` contexts started at once and each answering one call: how long until
// all of them are usable (their shutdown is not timed).
std::vector<double> bench_start_many(tether::Router& router, int n, int reps) {
    std::vector<double> ms;
    for (int rep = 0; rep < reps + 1; ++rep) {
        auto t0 = Clock::now();
        std::vector<tether::Context> contexts = start_many(router, n);
        call_each_once(contexts);
        double elapsed = seconds_since(t0) * 1e3;
        shutdown_all(contexts);
        if (rep > 0) {
            ms.push_back(elapsed);
        }
    }
    return ms;
}

struct ScaleResult {
    std::vector<double> start_ms, call_ms, shutdown_ms, total_ms;
};

// The scale run: `n` local contexts started, one call fanned out to all, all
// shut down; each part timed.
ScaleResult bench_scale(tether::Router& router, int n, int reps) {
    ScaleResult r;
    for (int rep = 0; rep < reps; ++rep) {
        auto t0 = Clock::now();
        std::vector<tether::Context> contexts = start_many(router, n);
        auto t1 = Clock::now();
        call_each_once(contexts);
        auto t2 = Clock::now();
        shutdown_all(contexts);
        auto t3 = Clock::now();
        auto ms = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count() * 1e3; };
        r.start_ms.push_back(ms(t0, t1));
        r.call_ms.push_back(ms(t1, t2));
        r.shutdown_ms.push_back(ms(t2, t3));
        r.total_ms.push_back(ms(t0, t3));
    }
    return r;
}

// A start as a user waits for it: the context is there and has answered
// its first call (shutdown excluded).
std::vector<double> ready_ms(const StartResult& r) {
    std::vector<double> out;
    for (std::size_t i = 0; i < r.start_ms.size(); ++i) {
        out.push_back(r.start_ms[i] + r.first_call_ms[i]);
    }
    return out;
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
    RelayPeer relay_peer;  // last: it starts a thread here

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
    StartResult fork_start;
    StartResult sudo_start;
    const std::string sudo_user = sudo_bench_user();
    SshBench ssh;
    RoundTrip round_trip;
    Stats rt, pingpong, pingpong_same_cpu, pingpong_cross_cpu, pipelined;
    PayloadResult payload;
    FanoutResult fanout;
    long master_rss_fanout = 0;
    std::vector<double> start8;
    ScaleResult scale;
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
            // The first round, left out, also starts the router's fork server.
            fork_start = bench_start(
                "fork start", cfg.local_starts, [&] { return router.fork(); }, fork_exit_ms);
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
            round_trip = bench_round_trip(one, pid, pingpong_peer, relay_peer, cfg.round_trips);
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
            master_rss_fanout = proc_status_kib(self, "VmRSS");
            shutdown_all(contexts);

            start8 = bench_start_many(router, cfg.fanout_contexts, cfg.start8_reps);
            scale = bench_scale(router, cfg.scale_contexts, cfg.scale_reps);
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
                                  .stats("child_cpu", stats_of(start.child_cpu_ms))
                                  .render(2));
    out.raw("fork_start_ms", JsonObject()
                                 .str("what", "router.fork() + first add() + shutdown(wait=true)")
                                 .stats("total", stats_of(fork_start.total_ms))
                                 .stats("fork", stats_of(fork_start.start_ms))
                                 .stats("first_call", stats_of(fork_start.first_call_ms))
                                 .stats("shutdown_wait", stats_of(fork_start.shutdown_ms))
                                 .stats("child_cpu", stats_of(fork_start.child_cpu_ms))
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
    out.raw("start_many_ms",
            JsonObject()
                .str("what",
                     "start_all() of N local contexts, each answering one add() through "
                     "one Select<int> (shutdown not timed)")
                .integer("contexts", cfg.fanout_contexts)
                .stats("total", stats_of(start8))
                .render(2));
    out.raw("scale_ms", JsonObject()
                            .str("what",
                                 "start_all() of N local contexts, one add() to each "
                                 "through one Select<int>, all shut down (wait)")
                            .integer("contexts", cfg.scale_contexts)
                            .stats("start", stats_of(scale.start_ms))
                            .stats("call", stats_of(scale.call_ms))
                            .stats("shutdown", stats_of(scale.shutdown_ms))
                            .stats("total", stats_of(scale.total_ms))
                            .render(2));
    out.raw("rss_kib", JsonObject()
                           .stats("child_fresh", child_rss_fresh)
                           .integer("child_after_calls", child_rss_after_calls)
                           .integer("child_after_16mib_payloads", child_rss_after_payload)
                           .integer("master_start", master_rss_start)
                           .integer("master_with_router", master_rss_router)
                           .integer("master_after_fanout", master_rss_fanout)
                           .integer("master_end", proc_status_kib(self, "VmRSS"))
                           .render(2));
    out.raw("floors", JsonObject()
                          .stats("socketpair_pingpong_us", pingpong)
                          .number("socketpair_pingpong_cpu_us", round_trip.floor_cpu_us_per_call)
                          .stats("socketpair_pingpong_same_cpu_us", pingpong_same_cpu)
                          .stats("socketpair_pingpong_cross_cpu_us", pingpong_cross_cpu)
                          .stats("socketpair_relay_us", stats_of(round_trip.relay_us))
                          .stats("socketpair_bulk_16mib_mb_per_s", bulk)
                          .stats("posix_spawn_true_ms", spawn)
                          .stats("fork_exit_ms", stats_of(fork_start.spawn_floor_ms))
                          .stats("fresh_16mib_first_touch_ms", stats_of(payload.first_touch_ms))
                          .stats("memcpy_16mib_warm_ms", stats_of(payload.memcpy_ms))
                          .render(2));
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    out.raw(
        "ratios",
        JsonObject()
            .number("round_trip_over_pingpong", ratio(rt.median, pingpong.median))
            .number("round_trip_over_pingpong_same_cpu", ratio(rt.median, pingpong_same_cpu.median))
            .number("round_trip_over_relay", ratio(rt.median, stats_of(round_trip.relay_us).median))
            .number("round_trip_cpu_over_pingpong_cpu",
                    ratio(round_trip.cpu_us_per_call, round_trip.floor_cpu_us_per_call))
            .number("payload_arg_over_bulk", ratio(payload_arg.median, bulk.median))
            .number("payload_ret_over_bulk", ratio(payload_ret.median, bulk.median))
            .number("local_start_over_spawn", ratio(stats_of(start.total_ms).median, spawn.median))
            .number("fork_start_over_fork_exit", ratio(stats_of(ready_ms(fork_start)).median,
                                                       stats_of(fork_start.spawn_floor_ms).median))
            .number("sudo_start_over_sudo_true", ratio(stats_of(sudo_start.start_ms).median,
                                                       stats_of(sudo_start.spawn_floor_ms).median))
            .number("ssh_cached_start_over_ssh_true",
                    ratio(stats_of(ssh.cached.start_ms).median,
                          stats_of(ssh.cached.spawn_floor_ms).median))
            .render(2));
    // The figures bench/compare puts beside Mitogen's (the same keys as
    // bench/mitogen_bench.py's): medians.
    JsonObject figures;
    figures.number("local_start_ms", stats_of(ready_ms(start)).median);
    figures.number("fork_start_ms", stats_of(ready_ms(fork_start)).median);
    if (!sudo_user.empty()) {
        figures.number("sudo_start_ms", stats_of(ready_ms(sudo_start)).median);
    }
    if (ssh.skipped.empty()) {
        figures.number("ssh_first_start_ms", stats_of(ready_ms(ssh.first)).median)
            .number("ssh_cached_start_ms", stats_of(ready_ms(ssh.cached)).median)
            .number("round_trip_ssh_us", stats_of(ssh.round_trip_us).median);
    }
    figures.number("round_trip_local_us", rt.median)
        .number("pipelined_calls_per_s", pipelined.median)
        .number("payload_arg_mb_per_s", payload_arg.median)
        .number("payload_ret_mb_per_s", payload_ret.median)
        .number("child_rss_kib", child_rss_fresh.median)
        .number("fanout_8x500_ms", stats_of(fanout.total_ms).median)
        .integer("master_rss_kib", master_rss_fanout)
        .number("start_8_ms", stats_of(start8).median)
        .number("scale_total_ms", stats_of(scale.total_ms).median);
    out.raw("figures", figures.render(2));
    out.str("loadavg_at_end", first_line_of("/proc/loadavg"))
        .integer("errors", errors)
        .number("elapsed_s", seconds_since(started));
    std::cout << out.render() << std::endl;
    return errors == 0 ? 0 : 1;
}

// --floors: only the machine's floors, as figures bench/compare sets beside
// tether's and Mitogen's (in its own process, taking turns with both).
int run_floors(const Config& cfg) {
    PingPongPeer pingpong_peer;
    BulkPeer bulk_peer;
    RelayPeer relay_peer;
    std::vector<double> pingpong, relay, bulk, spawn, fork_exit, sudo_true, ssh_true;
    pingpong_peer.sample(1000, pingpong);
    relay_peer.sample(1000, relay);
    pingpong.clear();
    relay.clear();
    // In blocks that take turns, as in tether_bench's round trip.
    for (int block = 0; block < 4; ++block) {
        pingpong_peer.sample(cfg.round_trips / 4, pingpong);
        relay_peer.sample(cfg.round_trips / 4, relay);
    }
    for (int i = 0; i < cfg.payload_reps; ++i) {
        bulk.push_back(bulk_peer.transfer());
    }
    for (int i = 0; i < cfg.local_starts; ++i) {
        spawn.push_back(spawn_true_ms());
        fork_exit.push_back(fork_exit_ms());
    }
    const std::string sudo_user = sudo_bench_user();
    for (int i = 0; !sudo_user.empty() && i < cfg.sudo_starts + 1; ++i) {
        sudo_true.push_back(sudo_true_ms(sudo_user));
    }
    const std::string ssh_user = ssh_bench_user();
    if (!ssh_user.empty()) {
        SshTarget sshd = ssh_target();
        for (int i = 0; i < cfg.ssh_starts + 1; ++i) {
            ssh_true.push_back(ssh_true_ms(sshd, ssh_user));
        }
    }
    // The first sudo and ssh samples warm caches, as tether's first start does.
    auto after_first = [](std::vector<double> v) {
        if (!v.empty()) {
            v.erase(v.begin());
        }
        return stats_of(v);
    };
    JsonObject figures;
    figures.number("socketpair_pingpong_us", stats_of(pingpong).median)
        .number("socketpair_relay_us", stats_of(relay).median)
        .number("socketpair_bulk_mb_per_s", stats_of(bulk).median)
        .number("posix_spawn_true_ms", stats_of(spawn).median)
        .number("fork_exit_ms", stats_of(fork_exit).median);
    if (!sudo_true.empty()) {
        figures.number("sudo_true_ms", after_first(sudo_true).median);
    }
    if (!ssh_true.empty()) {
        figures.number("ssh_true_ms", after_first(ssh_true).median);
    }
    JsonObject out;
    out.str("benchmark", "floors")
        .str("mode", cfg.quick ? "quick" : "full")
        .raw("figures", figures.render(2))
        .integer("errors", errors);
    std::cout << out.render() << std::endl;
    return errors == 0 ? 0 : 1;
}

// --sshd: a throwaway sshd (as the tests start it) for bench/compare to share
// between tether, Mitogen and the ssh floor. Prints the environment that
// points them at it, then serves until its stdin closes.
int serve_sshd() {
    // SIGTERM, SIGINT or SIGHUP end the read below (no SA_RESTART), so the
    // sshd is stopped and its directory removed then too.
    struct sigaction stop {};
    stop.sa_handler = [](int) {};
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
        ::sigaction(sig, &stop, nullptr);
    }
    tt::Sshd sshd;
    std::cout << "TETHER_BENCH_SSH_PORT=" << sshd.port() << "\n"
              << "TETHER_BENCH_SSH_KEY=" << sshd.client_key() << "\n"
              << "TETHER_BENCH_SSH_KNOWN_HOSTS=" << sshd.known_hosts() << std::endl;
    char c;
    while (::read(0, &c, 1) > 0) {
    }
    return 0;
}

// --ssh-first: one SSH start into an empty cache, the first of this process
// (so it pays for reading, stripping, hashing and compressing the image, as
// a `tether` command does), then a call and shutdown; prints the ms of each.
int run_ssh_first() {
    const std::string user = ssh_bench_user();
    if (user.empty()) {
        fail("--ssh-first needs root, sshd and TETHER_BENCH_SSH_USER (bench/run sets it)");
    }
    SshTarget sshd = ssh_target();
    std::string cache = fresh_cache(user, 0);
    tether::Broker broker;
    tether::Router router(broker);
    auto t0 = Clock::now();
    tether::Context ctx = router.ssh({.hostname = sshd.address,
                                      .port = sshd.port,
                                      .username = user,
                                      .identity_file = sshd.client_key,
                                      .known_hosts_file = sshd.known_hosts,
                                      .use_agent = false,
                                      .env = {{"XDG_CACHE_HOME", cache}}});
    double start_ms = seconds_since(t0) * 1e3;
    check(ctx.call(add, 1, 2) == 3, "ssh first start: add(1, 2)");
    ctx.shutdown(true);
    broker.shutdown();
    std::filesystem::remove_all(cache);
    std::cout << "{\"ssh_first_start_ms\": " << num(start_ms)
              << ", \"ssh_true_ms\": " << num(ssh_true_ms(sshd, user)) << "}\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    tether::init(argc, argv);
    Config cfg;
    bool floors = false, sshd = false, ssh_first = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--quick") {
            cfg.make_quick();
        } else if (a == "--floors") {
            floors = true;
        } else if (a == "--sshd") {
            sshd = true;
        } else if (a == "--ssh-first") {
            ssh_first = true;
        } else if (a == "-h" || a == "--help") {
            std::cout << "usage: " << argv[0] << " [--quick] [--floors | --sshd | --ssh-first]\n"
                      << "Prints one JSON object of tether timings and machine floors.\n"
                      << "  --floors  only the machine's floors\n"
                      << "  --sshd    start a throwaway sshd, print where it is, serve until "
                         "stdin closes\n"
                      << "  --ssh-first  one SSH start into an empty cache, as a new process\n";
            return 0;
        } else {
            std::cerr << "tether_bench: unknown argument '" << a << "' (try --help)\n";
            return 2;
        }
    }
    try {
        if (sshd) {
            return serve_sshd();
        }
        if (ssh_first) {
            return run_ssh_first();
        }
        return floors ? run_floors(cfg) : run(cfg);
    } catch (const std::exception& e) {
        std::cerr << "tether_bench: " << e.what() << "\n";
        return 1;
    }
}
