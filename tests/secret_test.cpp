// Secrets stay out of texts: the `io` log (every message and line), CallError
// texts built from careless user code, and ConnectError diagnostics of a
// target that echoes the password it read. (Real sudo, su and SSH password
// runs are grepped the same way in sudo_test.cpp and ssh_test.cpp.)
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "support/functions.hpp"
#include "support/harness.hpp"

using namespace std::chrono_literals;

namespace {

// The whole log at `io` for the test's duration.
struct IoLog {
    IoLog() { tether::set_log_level("io"); }
    ~IoLog() { tether::set_log_level("info"); }
    tt::LogCapture capture;
};

}  // namespace

TEST(Secrets, ACallsOwnSecretsNeverReachItsErrorTextOrTheLog) {
    IoLog log;
    tt::Master master;
    tether::Context child = master.router.local({.debug = true});
    try {
        child.call(tt::fail_with_secret, tether::Secret("hunter2-first"));
        FAIL() << "no CallError";
    } catch (const tether::CallError& e) {
        EXPECT_EQ(e.message(), "cannot log in with '***'");
        EXPECT_FALSE(tt::contains(e.what(), "hunter2")) << e.what();
        EXPECT_FALSE(tt::contains(e.backtrace(), "hunter2"));
    }
    // Secrets inside containers, optionals and maps are found as well.
    std::map<std::string, std::optional<tether::Secret>> nested = {
        {"a", tether::Secret("hunter2-second")}, {"b", std::nullopt}, {"c", tether::Secret("x7")}};
    try {
        child.call(tt::fail_with_nested_secrets, nested);
        FAIL() << "no CallError";
    } catch (const tether::CallError& e) {
        EXPECT_EQ(e.message(), "refused: a=*** b=none c=***");
    }
    // Another call's secrets do not leak into the next call's redaction.
    try {
        child.call(tt::fail_std, std::string("x7 is fine here"));
    } catch (const tether::CallError& e) {
        EXPECT_EQ(e.message(), "x7 is fine here");
    }
    // The secret still reaches the function that needs it.
    EXPECT_EQ(child.call(tt::reveal, tether::Secret("hunter2-third")), "hunter2-third");
    child.shutdown(true);
    EXPECT_GT(log.capture.count("tether.io"), 0U) << "the io log was not captured";
    EXPECT_EQ(log.capture.count("hunter2"), 0U);
}

// A target that echoes the password it read: a stand-in for sudo (given as
// sudo_path) that prompts, reads the answer and prints it back before it fails.
TEST(Secrets, APasswordATargetEchoesIsRedactedFromLogAndConnectError) {
    IoLog log;
    std::string fake = tt::temp_path("echoing-sudo");
    {
        std::ofstream out(fake);
        out << "#!/bin/sh\n"
               "printf '%s' \"$2\" >&2\n"  // the prompt tether chose
               "IFS= read -r answer <&2\n"
               "echo \"sudo: got '$answer', will not run\" >&2\n"
               "exit 1\n";
    }
    ::chmod(fake.c_str(), 0700);
    tt::Master master;
    try {
        master.router.sudo({.password = tether::Secret("echoed-pa55word"),
                            .sudo_path = fake,
                            .connect_timeout = 30s,
                            .debug = true});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.diagnostics(), "sudo: got '***', will not run"))
            << e.diagnostics();
        EXPECT_FALSE(tt::contains(e.what(), "echoed-pa55word")) << e.what();
        EXPECT_FALSE(tt::contains(e.diagnostics(), "echoed-pa55word"));
    }
    ::unlink(fake.c_str());
    EXPECT_GT(log.capture.count("answered the password prompt"), 0U);
    EXPECT_GT(log.capture.count("got '***'"), 0U);
    EXPECT_EQ(log.capture.count("echoed-pa55word"), 0U);
}
