// Fault injection at the transport seam, over real sockets: a relay process
// (support/fault_relay.cpp) between the master and the child closes the
// streams after byte N, inverts byte N, or stops relaying at byte N, in either
// direction, for N across the whole start and the first call. Whatever
// happens, the master must not crash or hang past its timeouts, and the relay
// and the child behind it must be gone afterwards.
//
// Two seams: the `local` method (socketpair, handshake, first messages) and
// the shell bootstrap (marker lines, the program's upload, then the same),
// reached through SudoOptions::sudo_path pointing at a script that runs the
// bootstrap's `/bin/sh -c ...` under the relay instead of sudo.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "functions.hpp"
#include "harness.hpp"
#include "parent/program_image.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr auto kConnectTimeout = 1000ms;
constexpr auto kCallTimeout = 1000ms;
// Beyond the connect and call timeouts, the master's shutdown escalation (3 s
// to SIGTERM) and scheduling slack: no case may take longer.
constexpr auto kCaseSlack = 6000ms;
constexpr int kWorkers = 16;

struct Injection {
    std::string mode;       // pass, close, corrupt, stall
    std::string direction;  // down: master to child; up: child to master
    std::size_t at = 0;
};

std::string describe(const Injection& f) {
    return f.mode + " " + f.direction + " at byte " + std::to_string(f.at);
}

// What the relay wrote: its pid, its command's pid, bytes relayed each way.
struct RelayState {
    int relay = 0;
    int command = 0;
    std::size_t down = 0;
    std::size_t up = 0;
};

RelayState read_state(const std::string& path) {
    RelayState s;
    std::ifstream in(path);
    in >> s.relay >> s.command >> s.down >> s.up;
    return s;
}

// tt::temp_path's counter is not for several threads.
std::string unique_path(const std::string& stem) {
    static std::atomic<int> counter{0};
    return "/tmp/tether-test-" + stem + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(++counter);
}

std::string self_exe() {
    return fs::read_symlink("/proc/self/exe").string();
}

enum class Outcome { ok, wrong_value, connect_error, channel_error, call_error, timeout };

const char* name_of(Outcome o) {
    switch (o) {
        case Outcome::ok:
            return "ok";
        case Outcome::wrong_value:
            return "wrong value";
        case Outcome::connect_error:
            return "ConnectError";
        case Outcome::channel_error:
            return "ChannelError";
        case Outcome::call_error:
            return "CallError";
        case Outcome::timeout:
            return "TimeoutError";
    }
    return "?";
}

struct Result {
    Outcome outcome = Outcome::ok;
    std::string what = {};
    RelayState relay = {};
};

// How one seam starts a child behind the relay.
using Start = std::function<tether::Context(tether::Router&, const std::vector<std::string>& relay,
                                            std::chrono::milliseconds connect_timeout)>;

class FaultRun {
  public:
    explicit FaultRun(Start start) : start_(std::move(start)) {}

    // Start, one call, shutdown, with `fault`; checks the time it took and
    // that the relay and the child behind it are gone.
    Result run(tether::Router& router, const Injection& fault,
               std::chrono::milliseconds connect_timeout = kConnectTimeout) {
        std::string state = unique_path("fault-state");
        std::vector<std::string> relay = {TT_FAULT_RELAY,           fault.mode, fault.direction,
                                          std::to_string(fault.at), state,      "--"};
        Result r;
        auto began = std::chrono::steady_clock::now();
        try {
            tether::Context child = start_(router, relay, connect_timeout);
            try {
                std::string got =
                    child.call_async(tt::greet, std::string("fault")).get(kCallTimeout);
                r.outcome = got == "hello fault" ? Outcome::ok : Outcome::wrong_value;
                r.what = got;
            } catch (const tether::TimeoutError& e) {
                r = {Outcome::timeout, e.what()};
            } catch (const tether::ChannelError& e) {
                r = {Outcome::channel_error, e.what()};
            } catch (const tether::CallError& e) {
                r = {Outcome::call_error, e.what()};
            }
            child.shutdown(true);
        } catch (const tether::ConnectError& e) {
            r = {Outcome::connect_error, e.what()};
        }
        auto took = std::chrono::steady_clock::now() - began;
        EXPECT_LT(took, connect_timeout + kCallTimeout + kCaseSlack)
            << describe(fault) << ": " << r.what;
        r.relay = read_state(state);
        ::unlink(state.c_str());
        // Nothing is left behind: the relay (the master's direct child) and
        // the program it ran.
        for (int pid : {r.relay.relay, r.relay.command}) {
            EXPECT_TRUE(pid <= 0 || tt::gone_within(pid, 5s))
                << describe(fault) << ": pid " << pid << " still runs";
        }
        std::lock_guard lock(mutex_);
        outcomes_[r.outcome].push_back(fault.at);
        return r;
    }

    // The cases several at a time: most of a case is waiting for a timeout
    // or a grace period, and concurrent starts are what a router serves.
    void run_all(tether::Router& router, const std::vector<Injection>& cases) {
        std::atomic<std::size_t> next{0};
        std::vector<std::thread> workers;
        for (int i = 0; i < kWorkers; ++i) {
            workers.emplace_back([&] {
                for (std::size_t k = next++; k < cases.size(); k = next++) {
                    run(router, cases[k]);
                }
            });
        }
        for (auto& w : workers) {
            w.join();
        }
    }

    // The byte counts of a clean start + call + shutdown.
    // (The second of two: the first may have shipped the program.)
    RelayState measure(tether::Router& router) {
        run(router, {"pass", "down", 0}, 10s);
        Result clean = run(router, {"pass", "down", 0}, 10s);
        EXPECT_EQ(clean.outcome, Outcome::ok) << clean.what;
        outcomes_.clear();
        return clean.relay;
    }

    void report(const std::string& title) const {
        std::cout << title << ":";
        for (const auto& [outcome, at] : outcomes_) {
            std::cout << " " << name_of(outcome) << " " << at.size();
        }
        std::cout << std::endl;
    }

  private:
    Start start_;
    std::mutex mutex_;
    std::map<Outcome, std::vector<std::size_t>> outcomes_;
};

// Every byte of the first `dense` (the frame headers of the first messages),
// then `spread` more points up to the last byte.
std::vector<std::size_t> positions(std::size_t total, std::size_t dense, std::size_t spread) {
    std::set<std::size_t> at;
    for (std::size_t i = 0; i < std::min(total, dense); ++i) {
        at.insert(i);
    }
    for (std::size_t i = 0; total > dense && i <= spread; ++i) {
        at.insert(dense + (total - 1 - dense) * i / spread);
    }
    return {at.begin(), at.end()};
}

Start local_start() {
    return [](tether::Router& router, const std::vector<std::string>& relay,
              std::chrono::milliseconds connect_timeout) {
        std::vector<std::string> program = relay;
        program.push_back(self_exe());
        return router.local({.program = program, .connect_timeout = connect_timeout});
    };
}

// The shell bootstrap without sudo: the script given as sudo_path skips
// sudo's options and runs the bootstrap under the relay, with its program
// cache in `cache`.
Start shell_start(const std::string& dir, const std::string& cache) {
    return [dir, cache](tether::Router& router, const std::vector<std::string>& relay,
                        std::chrono::milliseconds connect_timeout) {
        static std::atomic<int> scripts{0};
        std::string script = dir + "/sudo-" + std::to_string(++scripts);
        {
            std::ofstream out(script);
            out << "#!/bin/sh\nwhile [ $# -gt 0 ] && [ \"$1\" != -- ]; do shift; done; shift\n"
                << "exec env XDG_CACHE_HOME='" << cache << "'";
            for (const auto& word : relay) {
                out << " '" << word << "'";
            }
            out << " \"$@\"\n";
        }
        ::chmod(script.c_str(), 0700);
        return router.sudo({.sudo_path = script, .connect_timeout = connect_timeout});
    };
}

// Every mode and direction at `at` over one seam; the master must still
// start a clean child afterwards.
void inject_everywhere(FaultRun& run, tether::Router& router, const RelayState& clean,
                       const std::vector<std::string>& modes, std::size_t dense,
                       std::size_t spread) {
    std::vector<Injection> cases;
    for (const auto& mode : modes) {
        for (const auto& [direction, total] :
             {std::pair{std::string("down"), clean.down}, std::pair{std::string("up"), clean.up}}) {
            for (std::size_t at : positions(total, dense, spread)) {
                cases.push_back({mode, direction, at});
            }
        }
    }
    run.run_all(router, cases);
    Result after = run.run(router, {"pass", "down", 0}, 10s);
    EXPECT_EQ(after.outcome, Outcome::ok) << after.what;
}

class Fault : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = tt::temp_path("fault");
        fs::create_directories(dir_ + "/cache");
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string dir_;
};

}  // namespace

TEST_F(Fault, LocalStartClosedOrCorruptedAtEveryHeaderByteAndAcrossTheFirstCall) {
    tt::Master master;
    FaultRun run(local_start());
    RelayState clean = run.measure(master.router);
    ASSERT_GT(clean.down, 0U);
    ASSERT_GT(clean.up, 0U);
    std::cout << "local: " << clean.down << " bytes down, " << clean.up << " up" << std::endl;
    inject_everywhere(run, master.router, clean, {"close", "corrupt"}, 48, 24);
    run.report("local close/corrupt");
}

TEST_F(Fault, LocalStartStalledAnywhereEndsByTheTimeouts) {
    tt::Master master;
    FaultRun run(local_start());
    RelayState clean = run.measure(master.router);
    inject_everywhere(run, master.router, clean, {"stall"}, 1, 4);
    run.report("local stall");
}

TEST_F(Fault, ShellBootstrapOfACachedProgramClosedCorruptedOrStalled) {
    tt::Master master;
    FaultRun run(shell_start(dir_, dir_ + "/cache"));
    RelayState clean = run.measure(master.router);  // also fills the cache
    std::cout << "shell, cached: " << clean.down << " bytes down, " << clean.up << " up"
              << std::endl;
    inject_everywhere(run, master.router, clean, {"close", "corrupt"}, 8, 32);
    inject_everywhere(run, master.router, clean, {"stall"}, 1, 3);
    run.report("shell cached");
}

// The upload itself: the program is N bytes into the stream; whatever breaks
// it, nothing is installed in the cache but a whole, verified program.
TEST_F(Fault, ProgramUploadClosedCorruptedOrStalledLeavesNothingInTheCache) {
    tt::Master master;
    const std::size_t size = tether::detail::this_program().size;
    const std::string& sha = tether::detail::this_program().sha256;
    int fresh = 0;
    auto cache_of = [&] { return dir_ + "/cache-" + std::to_string(++fresh); };
    for (const std::string mode : {"close", "corrupt", "stall"}) {
        for (std::size_t at : {std::size_t{0}, std::size_t{1}, size / 2, size - 1}) {
            std::string cache = cache_of();
            fs::create_directories(cache);
            FaultRun run(shell_start(dir_, cache));
            // The upload of a 40-100 MB test program takes its time.
            Result r = run.run(master.router, {mode, "down", at}, mode == "stall" ? 3s : 10s);
            EXPECT_EQ(r.outcome, Outcome::connect_error) << mode << " at " << at << ": " << r.what;
            if (mode == "corrupt") {
                EXPECT_TRUE(tt::contains(r.what, "checksum mismatch")) << r.what;
            }
            // No temporary left, no program under its name.
            std::vector<std::string> left;
            for (const auto& entry : fs::recursive_directory_iterator(cache)) {
                if (!entry.is_directory()) {
                    left.push_back(entry.path().string());
                }
            }
            EXPECT_TRUE(left.empty()) << mode << " at " << at << ": " << left.front();
            EXPECT_FALSE(fs::exists(cache + "/tether/" + sha));
        }
    }
    // And a clean upload installs it.
    std::string cache = cache_of();
    FaultRun clean(shell_start(dir_, cache));
    Result r = clean.run(master.router, {"pass", "down", 0}, 10s);
    EXPECT_EQ(r.outcome, Outcome::ok) << r.what;
    EXPECT_TRUE(fs::exists(cache + "/tether/" + sha));
}
