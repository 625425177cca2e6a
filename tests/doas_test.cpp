// doas for real: OpenBSD's doas as Debian packages it (opendoas), the
// throwaway users and the /etc/doas.conf of tests/support/tt-users.sh (root
// may become anyone; tt_alice may become tt_bob with her password; tt_bob may
// become tt_alice without one; tt_carol has no rule).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "support/functions.hpp"
#include "support/harness.hpp"
#include "support/users.hpp"
#include "tools/target.hpp"

using namespace std::chrono_literals;

namespace {

class Doas : public tt::Users {
  protected:
    void SetUp() override {
        tt::Users::SetUp();
        if (IsSkipped() || HasFailure()) {
            return;
        }
        std::string missing;
        if (::access("/usr/bin/doas", X_OK) != 0) {
            missing = "doas is not installed (opendoas)";
        } else {
            std::ifstream in("/etc/doas.conf");
            std::stringstream text;
            text << in.rdbuf();
            if (!tt::contains(text.str(), "permit tt_alice as tt_bob")) {
                missing = "/etc/doas.conf is not the test's (ctest runs tt-users.sh setup)";
            }
        }
        tt::require("the doas tests", missing);
    }
};

}  // namespace

TEST_F(Doas, RootBecomesAUserThroughANopassRule) {
    tt::Master master;
    tether::Context alice = master.router.doas({.username = "tt_alice"});
    EXPECT_EQ(alice.name(), "doas.tt_alice");
    EXPECT_EQ(alice.call(tt::euid), tt::uid_of("tt_alice"));
    EXPECT_EQ(alice.call(tt::add, 2, 3), 5);
    // doas sets the target user's environment; the bootstrap's is gone.
    EXPECT_EQ(alice.call(tt::env_of, std::string("USER")), "tt_alice");
    EXPECT_EQ(alice.call(tt::env_of, std::string("DOAS_USER")), "root");
    EXPECT_EQ(alice.call(tt::env_of, std::string("TETHER_BOOT_MARKER")), "");
    alice.shutdown(true);
}

TEST_F(Doas, AUserBecomesAnotherWithThePasswordNeverShown) {
    tt::Master master;
    tt::LogCapture log;
    tether::set_log_level("io");
    tether::Context alice = master.router.doas({.username = "tt_alice", .debug = true});
    tether::Context bob =
        master.router.doas({.username = "tt_bob",
                            .password = tether::Secret(tt::password_of("tt_alice")),
                            .via = alice,
                            .debug = true});
    EXPECT_EQ(bob.name(), "doas.tt_alice.doas.tt_bob");
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));
    EXPECT_EQ(bob.call(tt::greet, std::string("doas")), tt::greet("doas"));
    // A grandchild from inside bob, and bob's parent still answers.
    EXPECT_EQ(bob.call(tt::call_add_in_new_child, 20, 22), 42);
    EXPECT_EQ(alice.call(tt::euid), tt::uid_of("tt_alice"));
    bob.shutdown(true);
    tether::set_log_level("info");
    EXPECT_GT(log.count("answered the password prompt"), 0U);
    EXPECT_EQ(log.count(tt::password_of("tt_alice")), 0U);
}

TEST_F(Doas, AWrongPasswordFailsAtOnceAndIsNeverShown) {
    tt::Master master;
    tt::LogCapture log;
    tether::set_log_level("io");
    tether::Context alice = master.router.sudo({.username = "tt_alice", .debug = true});
    try {
        master.router.doas({.username = "tt_bob",
                            .password = tether::Secret("not-alices-password"),
                            .connect_timeout = 10min,
                            .via = alice,
                            .debug = true});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "doas: incorrect password")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "sudo.tt_alice.doas.tt_bob")) << e.what();
        EXPECT_FALSE(tt::contains(e.what(), "not-alices-password"));
        EXPECT_FALSE(tt::contains(e.diagnostics(), "not-alices-password"));
    }
    tether::set_log_level("info");
    EXPECT_EQ(log.count("not-alices-password"), 0U);
    EXPECT_EQ(alice.call(tt::add, 1, 1), 2);
}

TEST_F(Doas, AMissingPasswordFailsWithoutWaitingForTheTimeout) {
    tt::Master master;
    tether::Context alice = master.router.doas({.username = "tt_alice"});
    try {
        master.router.doas({.username = "tt_bob", .connect_timeout = 10min, .via = alice});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "doas: a password is required")) << e.what();
        EXPECT_FALSE(tt::contains(e.what(), "timeout")) << e.what();
    }
}

TEST_F(Doas, AUserWithoutARuleIsRefusedInDoasOwnWords) {
    tt::Master master;
    tether::Context carol = master.router.doas({.username = "tt_carol"});
    for (std::optional<tether::Secret> password :
         {std::optional<tether::Secret>(), std::optional(tether::Secret("pw-tt_carol"))}) {
        try {
            master.router.doas({.username = "tt_bob",
                                .password = password,
                                .connect_timeout = 10min,
                                .via = carol});
            FAIL() << "no ConnectError";
        } catch (const tether::ConnectError& e) {
            EXPECT_TRUE(tt::contains(e.what(), "doas: Operation not permitted")) << e.what();
            EXPECT_TRUE(tt::contains(e.what(), "doas.tt_carol")) << e.what();
        }
    }
}

TEST_F(Doas, ViaFromOtherMethodsAndAUserWithANopassRule) {
    tt::Master master;
    // sudo to bob, whose rule needs no password, then doas to alice.
    tether::Context bob = master.router.sudo({.username = "tt_bob"});
    tether::Context alice = master.router.doas({.username = "tt_alice", .via = bob});
    EXPECT_EQ(alice.name(), "sudo.tt_bob.doas.tt_alice");
    EXPECT_EQ(alice.call(tt::euid), tt::uid_of("tt_alice"));
    // And start_all takes doas options like any other.
    auto results = master.router.start_all(
        {tether::DoasOptions{.username = "tt_bob"}, tether::DoasOptions{.username = "tt_alice"}});
    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(results[0].get().call(tt::euid), tt::uid_of("tt_bob"));
    EXPECT_EQ(results[1].get().call(tt::euid), tt::uid_of("tt_alice"));
}

TEST_F(Doas, ABadUsernameOrDoasPathSaysSo) {
    tt::Master master;
    try {
        master.router.doas({.username = "-x"});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "doas: invalid username '-x'")) << e.what();
    }
    try {
        master.router.doas({.doas_path = "/nonexistent/doas"});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "/nonexistent/doas")) << e.what();
    }
}

TEST(DoasTarget, ParsesUserAndDefaultsToRoot) {
    using tether::cli::Method;
    auto t = tether::cli::parse_target("doas:tt_bob");
    ASSERT_EQ(t.hops.size(), 1U);
    EXPECT_EQ(t.hops[0].method, Method::doas);
    EXPECT_EQ(t.hops[0].user, "tt_bob");
    auto chain = tether::cli::parse_target("sudo:tt_alice/doas");
    ASSERT_EQ(chain.hops.size(), 2U);
    EXPECT_EQ(chain.hops[1].method, Method::doas);
    EXPECT_EQ(chain.hops[1].user, "root");
    EXPECT_THROW(tether::cli::parse_target("doas:a b"), tether::cli::UsageError);
}
