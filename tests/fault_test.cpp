// Fault injection at the transport seam, over real sockets: a relay process
// (support/fault_relay.cpp) between the master and the child closes the
// streams after byte N, inverts byte N, or stops relaying at byte N, in either
// direction, for N across the whole start and the first call. Whatever
// happens, the master must not crash or hang past its timeouts, and the relay
// and the child behind it must be gone afterwards.
//
// Three seams: the `local` method (socketpair, handshake, first messages),
// the shell bootstrap (marker lines, the program's upload, then the same),
// reached through SudoOptions::sudo_path pointing at a script that runs the
// bootstrap's `/bin/sh -c ...` under the relay instead of sudo, and SSH (the
// relay between libssh and a real sshd: the SSH handshake, authentication,
// the channel, then the same).
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

#include "parent/program_image.hpp"
#include "support/functions.hpp"
#include "support/harness.hpp"
#include "support/ssh_fixture.hpp"

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

// What the relay wrote: its pid, its command's pid, bytes relayed each way,
// the port it listens on (TCP).
struct RelayState {
    int relay = 0;
    int command = 0;
    std::size_t down = 0;
    std::size_t up = 0;
    int port = 0;
};

RelayState read_state(const std::string& path) {
    RelayState s;
    std::ifstream in(path);
    in >> s.relay >> s.command >> s.down >> s.up >> s.port;
    return s;
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

// Called after each case with what the relay wrote (a TCP relay is the
// test's own child: it is ended and reaped here).
using AfterCase = std::function<void(const RelayState&)>;

class FaultRun {
  public:
    explicit FaultRun(Start start, AfterCase after = {})
        : start_(std::move(start)), after_(std::move(after)) {}

    // Start, one call, shutdown, with `fault`; checks the time it took and
    // that the relay and the child behind it are gone.
    Result run(tether::Router& router, const Injection& fault,
               std::chrono::milliseconds connect_timeout = kConnectTimeout) {
        std::string state = tt::temp_path("fault-state");
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
        if (after_) {
            after_(r.relay);
        }
        // Nothing is left behind: the relay (the master's direct child) and
        // the program it ran.
        for (int pid : {r.relay.relay, r.relay.command}) {
            EXPECT_TRUE(pid <= 0 || tt::gone_within(pid, 5s))
                << describe(fault) << ": pid " << pid << " still runs";
        }
        std::lock_guard lock(mutex_);
        if (std::getenv("TT_FAULT_VERBOSE") != nullptr) {  // every case, to study one seam
            std::cout << describe(fault) << ": " << name_of(r.outcome) << ": " << r.what
                      << std::endl;
        }
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
        // (Shipping a sanitized test program over SSH takes a while.)
        run(router, {"pass", "down", 0}, 120s);
        Result clean = run(router, {"pass", "down", 0}, 30s);
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
    AfterCase after_;
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
    Result after = run.run(router, {"pass", "down", 0}, 30s);
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
    // What is shipped: this program without its debug sections.
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

namespace {

// Processes running `exe`, this machine-wide.
std::vector<int> running(const std::string& exe) {
    std::vector<int> pids;
    DIR* proc = ::opendir("/proc");
    while (dirent* e = proc != nullptr ? ::readdir(proc) : nullptr) {
        char link[4096];
        std::string path = std::string("/proc/") + e->d_name + "/exe";
        ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
        if (n > 0 && std::string(link, static_cast<std::size_t>(n)) == exe) {
            pids.push_back(std::atoi(e->d_name));
        }
    }
    if (proc != nullptr) {
        ::closedir(proc);
    }
    return pids;
}

class FaultOverSsh : public tt::SshUsers {};

}  // namespace

// The relay between libssh and sshd, logged in as tt_bob with a key: faults
// in the SSH handshake, the authentication, the channel and the bootstrap on
// it, and the first call. Keepalives every 0.5 s notice a stall after the
// start. Afterwards no process of the shipped program is left on the server.
TEST_F(FaultOverSsh, SshSessionClosedCorruptedOrStalled) {
    if (IsSkipped() || HasFailure()) {
        return;
    }
    tt::Master master;
    const std::string cache = fresh_cache_for("tt_bob", "fault");
    const tt::Sshd& sshd = *sshd_;
    Start ssh = [&](tether::Router& router, const std::vector<std::string>& relay,
                    std::chrono::milliseconds connect_timeout) {
        std::vector<std::string> args(relay.begin(), relay.end() - 1);  // no "--"
        args.push_back("tcp");
        args.push_back(std::to_string(sshd.port()));
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        pid_t pid = 0;
        EXPECT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
        RelayState state;
        for (int i = 0; i < 5000 && state.port == 0; ++i) {
            std::this_thread::sleep_for(1ms);  // a deadline for the relay's port, not a sync
            state = read_state(relay[4]);
        }
        return router.ssh({.hostname = "127.0.0.1",
                           .port = state.port,
                           .username = "tt_bob",
                           .identity_file = sshd.client_key(),
                           // The relay's port is in no known_hosts file.
                           .check_host_keys = tether::HostKeyPolicy::ignore,
                           .keepalive_interval = 1000ms,
                           .keepalive_count = 2,
                           .use_agent = false,
                           .connect_timeout = connect_timeout,
                           .env = {{"XDG_CACHE_HOME", cache}}});
    };
    AfterCase end_relay = [](const RelayState& s) {
        ::kill(s.relay, SIGKILL);
        ::waitpid(s.relay, nullptr, 0);
    };
    FaultRun run(ssh, end_relay);
    RelayState clean = run.measure(master.router);  // the first ships the program
    std::cout << "ssh: " << clean.down << " bytes down, " << clean.up << " up" << std::endl;
    ASSERT_GT(clean.down, 1000U);
    inject_everywhere(run, master.router, clean, {"close", "corrupt"}, 24, 24);
    inject_everywhere(run, master.router, clean, {"stall"}, 1, 3);
    run.report("ssh");
    // The server side is gone too: sshd's session, the shell, the program.
    std::string program = cache + "/tether/" + tether::detail::this_program().sha256;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!running(program).empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);  // a deadline, not a sync
    }
    EXPECT_TRUE(running(program).empty()) << running(program).size() << " still run " << program;
    std::filesystem::remove_all(cache);
}
