#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "support/functions.hpp"
#include "support/harness.hpp"

using namespace std::chrono_literals;

TEST(Recursion, TenDeepChainOfLocalContexts) {
    tt::Master master;
    std::vector<tether::Context> chain{master.router.local()};
    for (int depth = 1; depth < 10; ++depth) {
        chain.push_back(master.router.local({.via = chain.back()}));
    }
    std::set<int> pids;
    for (auto& c : chain) {
        pids.insert(c.call(tt::pid));
    }
    EXPECT_EQ(pids.size(), 10u);
    // Named for the whole chain, called directly from the master.
    EXPECT_TRUE(tt::contains(chain[9].name(), chain[8].name() + ".local."));
    EXPECT_EQ(chain[9].call(tt::add, 40, 2), 42);
    std::string who = chain[9].call(tt::whoami);
    EXPECT_EQ(who, chain[9].name() + "|master|" + std::to_string(chain[8].id()) + "|" +
                       std::to_string(chain[9].id()));
}

TEST(Recursion, ViaFailureIsAConnectErrorNamingTheIntermediary) {
    tt::Master master;
    tether::Context child = master.router.local();
    try {
        master.router.local({.program = {"/bin/false"}, .via = child});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), child.name())) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "exited with status 1")) << e.what();
    }
    EXPECT_EQ(child.call(tt::add, 1, 1), 2);
}

// Each case: a waiter on some context, then one context in the chain dies.
// The waiter must fail with ChannelError well before its call would finish.
namespace {

void expect_prompt_channel_error(tether::Receiver<int>& waiter) {
    auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(waiter.get(20s), tether::ChannelError);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

}  // namespace

TEST(Disconnect, DirectChild) {
    tt::Master master;
    tether::Context child = master.router.local();
    int pid = child.call(tt::pid);
    auto waiter = child.call_async(tt::sleep_ms, 30000);
    ::kill(pid, SIGKILL);
    expect_prompt_channel_error(waiter);
    EXPECT_THROW(child.call(tt::add, 1, 1), tether::ChannelError);
}

TEST(Disconnect, Grandchild) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Context grandchild = master.router.local({.via = child});
    int pid = grandchild.call(tt::pid);
    auto waiter = grandchild.call_async(tt::sleep_ms, 30000);
    ::kill(pid, SIGKILL);
    expect_prompt_channel_error(waiter);
    EXPECT_EQ(child.call(tt::add, 1, 1), 2);  // the intermediary is fine
}

TEST(Disconnect, Intermediary) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Context grandchild = master.router.local({.via = child});
    int child_pid = child.call(tt::pid);
    auto on_grandchild = grandchild.call_async(tt::sleep_ms, 30000);
    auto on_child = child.call_async(tt::sleep_ms, 30000);
    ::kill(child_pid, SIGKILL);
    expect_prompt_channel_error(on_grandchild);
    expect_prompt_channel_error(on_child);
    EXPECT_THROW(grandchild.call(tt::add, 1, 1), tether::ChannelError);
}

TEST(Disconnect, AWaiterInsideAChildFailsWhenItsTargetDies) {
    tt::Master master;
    tether::Context a = master.router.local();
    tether::Context a1 = master.router.local({.via = a});
    int a1_pid = a1.call(tt::pid);
    // a waits on a1; a1 dies; a's waiter fails, so a's call fails.
    std::string marker = tt::temp_path("waiter");
    auto waiter = a.call_async(tt::sleep_in, a1, marker, 30000);
    // a1 creates the marker when a's call has reached it.
    ASSERT_TRUE(tt::wait_for_file(marker));
    ::kill(a1_pid, SIGKILL);
    auto start = std::chrono::steady_clock::now();
    try {
        waiter.get(20s);
        FAIL() << "no error";
    } catch (const tether::CallError& e) {
        EXPECT_EQ(e.type_name(), "tether::ChannelError") << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_EQ(a.call(tt::add, 1, 1), 2);
}

// Sibling routing on routes a sibling's call, and the sibling refuses it:
// calls are served only from a context's parent chain (as in Mitogen, where
// CALL_FUNCTION needs parent authority). The answer comes at once.
TEST(Disconnect, WithSiblingRoutingOnASiblingsCallIsRefusedByPolicyAtOnce) {
    tt::Master master(tether::RouterOptions{.unidirectional = false});
    tether::Context a = master.router.local();
    tether::Context b = master.router.local();
    std::string marker = tt::temp_path("sibling");
    auto start = std::chrono::steady_clock::now();
    try {
        a.call(tt::sleep_in, b, marker, 30000);
        FAIL() << "no error";
    } catch (const tether::CallError& e) {
        EXPECT_EQ(e.type_name(), "tether::ChannelError") << e.what();
        EXPECT_TRUE(tt::contains(e.message(), "refused by policy")) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_NE(::access(marker.c_str(), F_OK), 0) << "the call ran in b";
    EXPECT_EQ(a.call(tt::add, 1, 1), 2);
    EXPECT_EQ(b.call(tt::add, 1, 2), 3);
}

TEST(Disconnect, SiblingsAndCousinsCannotReachEachOtherByDefault) {
    tt::Master master;
    tether::Context a = master.router.local();
    tether::Context b = master.router.local();
    try {
        a.call(tt::sleep_in, b, std::string(), 1);
        FAIL() << "no error";
    } catch (const tether::CallError& e) {
        EXPECT_EQ(e.type_name(), "tether::ChannelError");
        EXPECT_TRUE(tt::contains(e.message(), "routing mode prevents forward")) << e.what();
    }  // Nor cousins (a child of a reaching a child of b), nor an uncle.
    tether::Context a1 = master.router.local({.via = a});
    tether::Context b1 = master.router.local({.via = b});
    for (const tether::Context& target : {b1, b}) {
        try {
            a1.call(tt::sleep_in, target, std::string(), 1);
            FAIL() << "no error reaching " << target.name();
        } catch (const tether::CallError& e) {
            EXPECT_EQ(e.type_name(), "tether::ChannelError");
            EXPECT_TRUE(tt::contains(e.message(), "routing mode prevents forward")) << e.what();
        }
    }
    // Each still answers its own ancestors.
    EXPECT_EQ(a1.call(tt::add, 1, 2), 3);
    EXPECT_EQ(b1.call(tt::add, 2, 2), 4);
}

// A `via` start sends the options themselves (parent/options_wire.hpp): the
// common fields reach the far side and take effect there.
TEST(Recursion, ViaStartCarriesTheOptionsToTheFarSide) {
    tt::LogCapture log;
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Context inner = master.router.local({.name = "inner",
                                                 .remote_name = "tt-via-remote",
                                                 .connect_timeout = 20s,
                                                 .via = child,
                                                 .debug = true,
                                                 .env = {{"TT_VIA_ENV", "carried"}}});
    // Named inside child, for the whole chain.
    EXPECT_EQ(inner.name(), child.name() + ".inner");
    EXPECT_EQ(inner.call(tt::argv0), "tt-via-remote");
    EXPECT_EQ(inner.call(tt::env_of, std::string("TT_VIA_ENV")), "carried");
    EXPECT_EQ(child.call(tt::env_of, std::string("TT_VIA_ENV")), "");
    EXPECT_EQ(inner.call(tt::add, 3, 4), 7);
    inner.shutdown(true);
    // debug: the inner context logged its stream at the io level.
    bool found = false;
    std::istringstream lines(log.text());
    for (std::string line; std::getline(lines, line);) {
        found = found || (tt::contains(line, "tether.ctx." + inner.name() + ": ") &&
                          tt::contains(line, "tether.io: parent <- dst="));
    }
    EXPECT_TRUE(found) << log.text();
}

// Router::start takes any method's options, and names a failure the way the
// method's own factory does.
TEST(Recursion, StartTakesAnyMethodsOptions) {
    tt::Master master;
    tether::Context child = master.router.start(tether::LocalOptions{.name = "by-start"});
    EXPECT_EQ(child.name(), "by-start");
    tether::Context inner = master.router.start(tether::LocalOptions{.via = child});
    EXPECT_EQ(inner.call(tt::add, 1, 2), 3);
    try {
        master.router.start(tether::SudoOptions{.username = "no user here", .via = child});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), child.name())) << e.what();
    }
}
