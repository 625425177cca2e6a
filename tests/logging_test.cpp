#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "support/functions.hpp"
#include "support/harness.hpp"

using tt::LogCapture;

TEST(Logging, ChildStdoutReachesTheMasterLogBeforeTheReply) {
    LogCapture log;
    tt::Master master;
    tether::Context child = master.router.local();
    child.call(tt::print_line, "Hello from remote context!");
    EXPECT_TRUE(tt::contains(log.text(),
                             "tether.ctx." + child.name() + ": stdout: Hello from remote context!"))
        << log.text();
}

TEST(Logging, OneMebibyteOfStdoutNeitherBlocksNorLosesLines) {
    LogCapture log;
    tt::Master master;
    tether::Context child = master.router.local();
    // 16384 lines of 64 bytes each.
    EXPECT_EQ(child.call(tt::print_bulk, 16384, 50), 16384);
    EXPECT_EQ(log.count(": stdout: bulk "), 16384u);
    EXPECT_EQ(log.count(": stdout: bulk 16383 "), 1u);
    EXPECT_EQ(child.call(tt::add, 1, 2), 3);
}

TEST(Logging, ChildStderrAndLogRecordsAreForwarded) {
    LogCapture log;
    tether::set_log_level("debug");
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Context grandchild = master.router.local({.via = child});
    grandchild.call(tt::print_line, "from the grandchild");
    grandchild.shutdown(true);
    child.shutdown(true);
    std::string all = log.text();
    // The child's own debug records, forwarded under its name.
    EXPECT_TRUE(
        tt::contains(all, "tether.ctx." + child.name() + ": tether.child: " + child.name() + " up"))
        << all;
    EXPECT_TRUE(
        tt::contains(all, "tether.ctx." + grandchild.name() + ": stdout: from the grandchild"))
        << all;
    tether::set_log_level("info");
}

// A logger made before log_to_file() keeps tether's line format in the new
// file (the pattern lives in the sink, and log_to_file makes a new one).
TEST(Logging, LoggersMadeBeforeLogToFileKeepTheFormat) {
    tt::Master master;
    tether::Context child = master.router.local({.name = "kept"});
    {
        LogCapture first;
        child.call(tt::print_line, "one");
        EXPECT_TRUE(tt::contains(first.text(), "tether.ctx.kept: stdout: one")) << first.text();
    }
    LogCapture second;
    child.call(tt::print_line, "two");
    EXPECT_TRUE(tt::contains(second.text(), "tether.ctx.kept: stdout: two")) << second.text();
}

TEST(Logging, IoLevelRecordsEveryMessage) {
    LogCapture log;
    tether::set_log_level("io");
    tt::Master master;
    tether::Context child = master.router.local();
    EXPECT_EQ(child.call(tt::reveal, tether::Secret("hunter2-secret")), "hunter2-secret");
    tether::set_log_level("info");
    std::string all = log.text();
    EXPECT_TRUE(tt::contains(all, "tether.io: " + child.name() + " -> dst=")) << all;
    EXPECT_TRUE(tt::contains(all, "handle=101")) << all;
    // Payloads are never logged, only their sizes.
    EXPECT_FALSE(tt::contains(all, "hunter2-secret")) << all;
}

TEST(Logging, ChildStdioStaysBlocking) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Context grandchild = master.router.local({.via = child});
    EXPECT_EQ(child.call(tt::nonblocking_stdio), 0);
    EXPECT_EQ(grandchild.call(tt::nonblocking_stdio), 0);
}

TEST(Logging, DebugOptionLogsOneContextInDetail) {
    LogCapture log;  // the master stays at the default level, info
    tt::Master master;
    tether::Context quiet = master.router.local();
    tether::Context loud = master.router.local({.debug = true});
    EXPECT_EQ(quiet.call(tt::add, 1, 2), 3);
    EXPECT_EQ(loud.call(tt::add, 3, 4), 7);
    loud.shutdown(true);  // its stderr is drained by the time it is reaped
    quiet.shutdown(true);
    std::string all = log.text();
    // This side of the loud context's stream...
    EXPECT_TRUE(
        tt::contains(all, "tether.io: " + loud.name() + " -> dst=" + std::to_string(loud.id())))
        << all;
    // ...and the loud context's own records, under its name: forwarded as
    // records, or (logged before its forwarder was up, right after the
    // handshake) through its stderr.
    bool found = false;
    std::istringstream lines(all);
    for (std::string line; std::getline(lines, line);) {
        found = found || (tt::contains(line, "tether.ctx." + loud.name() + ": ") &&
                          tt::contains(line, "tether.io: parent <- dst="));
    }
    EXPECT_TRUE(found) << all;
    EXPECT_FALSE(tt::contains(all, "tether.io: " + quiet.name())) << all;
    EXPECT_FALSE(tt::contains(all, "tether.ctx." + quiet.name() + ": tether.io")) << all;
}

// A context at `io` logs its own first messages before its log can be
// forwarded; when its stderr is its parent stream (su's terminal; here a
// shell's 2>&1) they are forwarded as log records, and must come after the
// handshake, never before it (the parent takes that as a protocol error).
TEST(Logging, LinesPrintedBeforeTheHandshakeNeverRaceIt) {
    tt::Master master;
    tt::LogCapture log;
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    for (int i = 0; i < 40; ++i) {
        tether::Context child = master.router.local(
            {.program = {"/bin/sh", "-c", "exec \"$0\" 2>&1", self}, .debug = true});
        EXPECT_EQ(child.call(tt::add, i, 1), i + 1);
        child.shutdown(true);
    }
    EXPECT_GT(log.count("tether.io: parent -> "), 0U);
}

TEST(Logging, SecretsAndBlobsPrintRedacted) {
    std::ostringstream out;
    out << tether::Secret("pw") << " " << tether::Blob(std::string(5, 'x'));
    EXPECT_EQ(out.str(), "*** Blob(5 bytes)");
}

TEST(Logging, UnknownLevelIsRefused) {
    EXPECT_THROW(tether::set_log_level("loud"), tether::Error);
}
