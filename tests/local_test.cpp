#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <set>

#include "support/functions.hpp"
#include "support/harness.hpp"
#include "support/leak_check.hpp"

using namespace std::chrono_literals;

TEST(Local, NamesIdsAndArgv0) {
    tt::Master master;
    tether::Context a = master.router.local();
    tether::Context b = master.router.local({.remote_name = "tether:test-remote"});
    int pid = a.call(tt::pid);
    EXPECT_EQ(a.name(), "local." + std::to_string(pid));
    EXPECT_EQ(a.id(), 1u);
    EXPECT_EQ(b.id(), 2u);
    EXPECT_TRUE(tt::contains(a.call(tt::argv0), "tether:")) << a.call(tt::argv0);
    EXPECT_EQ(b.call(tt::argv0), "tether:test-remote");
    tether::Context named = master.router.local({.name = "worker"});
    EXPECT_EQ(named.name(), "worker");
    EXPECT_EQ(named.call(tt::whoami).substr(0, 7), "worker|");
}

TEST(Local, EnvironmentReachesTheChild) {
    tt::Master master;
    tether::Context child = master.router.local({.env = {{"TT_EXTRA", "42"}}});
    // Not exported: read the environment through /proc of the child.
    int pid = child.call(tt::pid);
    std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(tt::contains(all, std::string("TT_EXTRA=42")));
}

TEST(Local, ConnectTimeoutKillsAndReapsAChildThatNeverAnswers) {
    tt::Master master;
    auto start = std::chrono::steady_clock::now();
    try {
        master.router.local({.program = {"/bin/sh", "-c", "echo about to hang >&2; exec sleep 60"},
                             .connect_timeout = 500ms});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.reason(), "connect timeout")) << e.what();
        EXPECT_TRUE(tt::contains(e.reason(), "phase 'handshake'")) << e.what();
        EXPECT_TRUE(tt::contains(e.diagnostics(), "about to hang")) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_TRUE(tt::child_processes().empty());
}

TEST(Local, AChildThatExitsEarlyReportsItsLastLines) {
    tt::Master master;
    try {
        master.router.local(
            {.program = {"/bin/sh", "-c", "echo first >&2; echo last words >&2; exit 3"}});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.reason(), "exited with status 3")) << e.what();
        EXPECT_TRUE(tt::contains(e.diagnostics(), "first\nlast words")) << e.what();
    }
}

TEST(Local, AProgramThatCannotRunFailsInTheSpawnPhase) {
    tt::Master master;
    try {
        master.router.local({.program = {"/nonexistent/tether-test-binary"}});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.reason(), "phase 'spawn'")) << e.what();
        EXPECT_TRUE(tt::contains(e.reason(), "No such file")) << e.what();
    }
}

TEST(Local, RemoteNameWithSlashIsRefused) {
    tt::Master master;
    EXPECT_THROW(master.router.local({.remote_name = "a/b"}), tether::ConnectError);
}

TEST(Local, ManyContextsAtOnce) {
    tt::Master master;
    std::vector<tether::Context> contexts;
    for (int i = 0; i < 16; ++i) {
        contexts.push_back(master.router.local());
    }
    std::set<int> pids;
    for (auto& c : contexts) {
        pids.insert(c.call(tt::pid));
    }
    EXPECT_EQ(pids.size(), 16u);
}
