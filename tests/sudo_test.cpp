// sudo and su for real: throwaway users, real passwords, real prompts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "parent/program_image.hpp"
#include "support/functions.hpp"
#include "support/harness.hpp"
#include "support/helper_master.hpp"
#include "support/sshd.hpp"
#include "support/users.hpp"

using namespace std::chrono_literals;

namespace {

using Sudo = tt::Users;
using Su = tt::Users;
using Cache = tt::Users;

using tt::run;

}  // namespace

TEST_F(Sudo, RootBecomesAUserWithoutAPassword) {
    tt::Master master;
    tether::Context bob = master.router.sudo({.username = "tt_bob"});
    EXPECT_EQ(bob.name(), "sudo.tt_bob");
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));
    EXPECT_EQ(bob.call(tt::add, 2, 3), 5);
    EXPECT_TRUE(tt::contains(bob.call(tt::argv0), "tether:")) << bob.call(tt::argv0);
    // The bootstrap's own variables are gone; the cache is in bob's home.
    EXPECT_EQ(bob.call(tt::env_of, std::string("TETHER_BOOT_MARKER")), "");
    EXPECT_EQ(bob.call(tt::env_of, std::string("TETHER_CHILD")), "");
    EXPECT_EQ(bob.call(tt::env_of, std::string("USER")), "tt_bob");
    bob.shutdown(true);
}

TEST_F(Sudo, AUserBecomesAnotherWithTheRightPassword) {
    tt::Master master;
    // The full io log of the run, both contexts at io, must not hold it.
    tt::LogCapture log;
    tether::set_log_level("io");
    tether::Context alice = master.router.sudo({.username = "tt_alice", .debug = true});
    tether::Context bob =
        master.router.sudo({.username = "tt_bob",
                            .password = tether::Secret(tt::password_of("tt_alice")),
                            .via = alice,
                            .debug = true});
    EXPECT_EQ(bob.name(), "sudo.tt_alice.sudo.tt_bob");
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));
    EXPECT_EQ(alice.call(tt::euid), tt::uid_of("tt_alice"));
    bob.shutdown(true);
    tether::set_log_level("info");
    EXPECT_GT(log.count("answered the password prompt"), 0U);
    EXPECT_GT(log.count("tether.io"), 0U);
    EXPECT_EQ(log.count(tt::password_of("tt_alice")), 0U);
}

TEST_F(Sudo, AWrongPasswordFailsAtOnceAndIsNeverShown) {
    tt::Master master;
    tt::LogCapture log;
    tether::set_log_level("io");
    tether::Context alice = master.router.sudo({.username = "tt_alice", .debug = true});
    try {
        master.router.sudo({.username = "tt_bob",
                            .password = tether::Secret("not-alices-password"),
                            .connect_timeout = 10min,
                            .via = alice,
                            .debug = true});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "sudo: incorrect password")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "phase 'auth'")) << e.what();
        EXPECT_FALSE(tt::contains(e.what(), "not-alices-password"));
        EXPECT_FALSE(tt::contains(e.diagnostics(), "not-alices-password"));
    }
    tether::set_log_level("info");
    EXPECT_GT(log.count("sudo.tt_alice"), 0u);
    EXPECT_EQ(log.count("not-alices-password"), 0u);
    // alice is still fine.
    EXPECT_EQ(alice.call(tt::add, 1, 1), 2);
}

TEST_F(Sudo, AMissingPasswordFailsWithoutWaitingForTheTimeout) {
    tt::Master master;
    tether::Context alice = master.router.sudo({.username = "tt_alice"});
    try {
        master.router.sudo({.username = "tt_bob", .connect_timeout = 10min, .via = alice});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        // A timeout would say "connect timeout" after ten minutes.
        EXPECT_TRUE(tt::contains(e.what(), "sudo: a password is required")) << e.what();
        EXPECT_FALSE(tt::contains(e.what(), "timeout")) << e.what();
    }
}

TEST_F(Sudo, AUserNotInSudoersIsRefused) {
    tt::Master master;
    tether::Context carol = master.router.sudo({.username = "tt_carol"});
    try {
        master.router.sudo({.password = tether::Secret(tt::password_of("tt_carol")), .via = carol});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "not in the sudoers file")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "sudo.tt_carol")) << e.what();
    }
}

TEST_F(Sudo, SudoArgsAreParsedAndUnknownFlagsRefused) {
    tt::Master master;
    tether::Context bob = master.router.sudo({.sudo_args = {"-H", "--user=tt_bob"}});
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));
    EXPECT_EQ(bob.call(tt::env_of, std::string("HOME")), "/home/tt_bob");
    for (auto args : {std::vector<std::string>{"-x"}, std::vector<std::string>{"--chroot=/"},
                      std::vector<std::string>{"id"}, std::vector<std::string>{"-u"}}) {
        try {
            master.router.sudo({.username = "tt_bob", .sudo_args = args});
            FAIL() << "no ConnectError for " << args[0];
        } catch (const tether::ConnectError& e) {
            EXPECT_TRUE(tt::contains(e.what(), "sudo: ")) << e.what();
            EXPECT_TRUE(tt::contains(e.what(), args[0])) << e.what();
        }
    }
}

TEST_F(Sudo, ALoginShellRunsTheBootstrapToo) {
    tt::Master master;
    // A login shell that talks on stdout, even in our marker's words: noise.
    std::string profile = "/home/tt_bob/.profile";
    std::filesystem::remove(profile + ".tt-saved");
    if (std::filesystem::exists(profile)) {
        std::filesystem::rename(profile, profile + ".tt-saved");
    }
    {
        std::ofstream out(profile);
        out << "echo 'Welcome to a chatty host'\necho 'tether-0000000000000000 SEND 1'\n"
               "printf 'no newline at the end'\n";
    }
    // sudo -i hands the command to the login shell with its own escaping.
    tt::LogCapture log;
    tether::Context bob = master.router.sudo({.username = "tt_bob", .login = true});
    std::filesystem::remove(profile);
    if (std::filesystem::exists(profile + ".tt-saved")) {
        std::filesystem::rename(profile + ".tt-saved", profile);
    }
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));
    // The noise is logged as the context's output, the marker line is not.
    EXPECT_EQ(log.count("Welcome to a chatty host"), 1u) << log.text();
    EXPECT_EQ(log.count(": no newline at the end\n"), 1u) << log.text();
    EXPECT_EQ(log.count(" START"), 0u) << log.text();
    tether::Context env = master.router.sudo({.username = "tt_bob", .preserve_env = true});
    EXPECT_EQ(env.call(tt::euid), tt::uid_of("tt_bob"));
}

TEST_F(Sudo, ViaWorksAcrossMethods) {
    tt::Master master;
    tether::Context local = master.router.local();
    tether::Context bob = master.router.sudo({.username = "tt_bob", .via = local});
    EXPECT_EQ(bob.name(), local.name() + ".sudo.tt_bob");
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));
    tether::Context under_bob = master.router.local({.via = bob});
    EXPECT_EQ(under_bob.call(tt::euid), tt::uid_of("tt_bob"));
    EXPECT_EQ(under_bob.call(tt::add, 20, 22), 42);
}

TEST_F(Sudo, AConnectTimeoutEndsACommandThatNeverAnswers) {
    tt::Master master;
    std::string fake = tt::temp_path("fake-sudo");
    {
        std::ofstream out(fake);
        out << "#!/bin/sh\necho 'a banner, then nothing' >&2\nexec sleep 60\n";
    }
    ::chmod(fake.c_str(), 0755);
    auto start = std::chrono::steady_clock::now();
    try {
        master.router.sudo({.sudo_path = fake, .connect_timeout = 500ms});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "connect timeout after 500 ms in phase 'auth'"))
            << e.what();
        EXPECT_TRUE(tt::contains(e.diagnostics(), "a banner, then nothing")) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_TRUE(tt::child_processes().empty());
    ::unlink(fake.c_str());
}

TEST_F(Su, RightAndWrongPasswords) {
    tt::Master master;
    tt::LogCapture log;
    tether::set_log_level("io");
    // su asks root nothing: start from alice.
    tether::Context alice = master.router.sudo({.username = "tt_alice", .debug = true});
    tether::Context bob = master.router.su({.username = "tt_bob",
                                            .password = tether::Secret(tt::password_of("tt_bob")),
                                            .via = alice,
                                            .debug = true});
    EXPECT_EQ(bob.name(), "sudo.tt_alice.su.tt_bob");
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));
    EXPECT_EQ(bob.call(tt::greet, std::string("su")), tt::greet("su"));
    // Messages cross the terminal unchanged, whatever their bytes.
    tether::Blob blob(std::string(300000, '\0') + "\r\n\x03\x04\x11\x13\x7f" +
                      std::string(70000, '\n'));
    EXPECT_EQ(bob.call(tt::echo_blob, blob), blob);
    try {
        master.router.su({.username = "tt_bob",
                          .password = tether::Secret("wrong"),
                          .connect_timeout = 10min,
                          .via = alice});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "su: incorrect password")) << e.what();
    }
    try {
        master.router.su({.username = "tt_bob", .connect_timeout = 10min, .via = alice});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "su: a password is required")) << e.what();
    }
    tether::set_log_level("info");
    EXPECT_GT(log.count("answered the password prompt"), 0U);
    EXPECT_EQ(log.count(tt::password_of("tt_bob")), 0U);
}

TEST_F(Cache, TheSecondStartReusesTheCachedProgram) {
    tt::Master master;
    std::string cache = fresh_cache_for("tt_bob", "reuse");
    tt::LogCapture log;
    tether::set_log_level("debug");
    tether::SudoOptions options{.username = "tt_bob", .env = {{"XDG_CACHE_HOME", cache}}};
    tether::Context first = master.router.sudo(options);
    tether::Context second = master.router.sudo(options);
    tether::set_log_level("info");
    // What is shipped: this program without its debug sections, as it is.
    const tether::detail::ProgramImage& image = tether::detail::this_program();
    EXPECT_EQ(log.count("the program runs (sent " + std::to_string(image.size) + " bytes)"), 1u)
        << log.text();
    EXPECT_EQ(log.count("the program runs (cached)"), 1u) << log.text();
    // One file, named by the SHA-256 the target's own sha256sum computes.
    std::string expected = cache + "/tether/" + image.sha256;
    EXPECT_TRUE(std::filesystem::is_regular_file(expected)) << expected;
    EXPECT_EQ(run("sha256sum " + expected).substr(0, 64), image.sha256);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator(cache + "/tether")) {
        ++files;
    }
    EXPECT_EQ(files, 1u);
    EXPECT_EQ(second.call(tt::euid), tt::uid_of("tt_bob"));
    first.shutdown(true);
    second.shutdown(true);
    std::filesystem::remove_all(cache);
}

// Programs not run for two weeks and temporaries of killed uploads go when
// a program is uploaded; the cached path leaves the directory alone.
TEST_F(Cache, AnUploadPrunesProgramsUnusedForTwoWeeksAndStaleTemporaries) {
    tt::Master master;
    std::string cache = fresh_cache_for("tt_bob", "prune");
    std::string dir = cache + "/tether";
    ASSERT_EQ(std::system(("mkdir -m 700 " + dir + " && chown tt_bob " + dir).c_str()), 0);
    auto now = std::chrono::system_clock::now();
    // A file of bob's whose access and modification times are `age` ago.
    auto make = [&](const std::string& name, std::chrono::hours age) {
        std::string path = dir + "/" + name;
        std::ofstream(path) << "x";
        EXPECT_EQ(::chown(path.c_str(), static_cast<uid_t>(tt::uid_of("tt_bob")), -1), 0);
        auto then = std::chrono::duration_cast<std::chrono::seconds>((now - age).time_since_epoch())
                        .count();
        timespec times[2] = {{then, 0}, {then, 0}};
        EXPECT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
        return path;
    };
    using days = std::chrono::duration<int, std::ratio<86400>>;
    auto hours = [](days d) { return std::chrono::duration_cast<std::chrono::hours>(d); };
    std::string unused = make(std::string(64, 'a'), hours(days(20)));
    std::string used = make(std::string(64, 'b'), hours(days(1)));
    std::string stale = make("." + std::string(64, 'c') + ".123", hours(days(2)));
    std::string fresh = make("." + std::string(64, 'd') + ".456", std::chrono::hours(0));
    std::string foreign = make("notes.txt", hours(days(30)));

    tether::SudoOptions options{.username = "tt_bob", .env = {{"XDG_CACHE_HOME", cache}}};
    master.router.sudo(options).shutdown(true);  // uploads
    EXPECT_FALSE(std::filesystem::exists(unused));
    EXPECT_FALSE(std::filesystem::exists(stale));
    EXPECT_TRUE(std::filesystem::exists(used));
    EXPECT_TRUE(std::filesystem::exists(fresh));
    EXPECT_TRUE(std::filesystem::exists(foreign));

    unused = make(std::string(64, 'a'), hours(days(20)));
    master.router.sudo(options).shutdown(true);  // cached
    EXPECT_TRUE(std::filesystem::exists(unused));
    std::filesystem::remove_all(cache);
}

TEST_F(Cache, ACacheDirectoryOthersCanWriteIsRefused) {
    tt::Master master;
    std::string cache = fresh_cache_for("tt_bob", "perm");
    ASSERT_EQ(std::system(("mkdir " + cache + "/tether && chown tt_bob " + cache +
                           "/tether && chmod 777 " + cache + "/tether")
                              .c_str()),
              0);
    try {
        master.router.sudo({.username = "tt_bob", .env = {{"XDG_CACHE_HOME", cache}}});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "phase 'bootstrap'")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "refusing cache directory " + cache + "/tether"))
            << e.what();
    }
    // Owned by someone else (who let bob write there): refused as well. One
    // bob cannot write to is passed over for the next candidate.
    ASSERT_EQ(std::system(("chown tt_alice " + cache + "/tether").c_str()), 0);
    try {
        master.router.sudo({.username = "tt_bob", .env = {{"XDG_CACHE_HOME", cache}}});
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(
            tt::contains(e.what(), "must be owned by uid " + std::to_string(tt::uid_of("tt_bob"))))
            << e.what();
    }
    std::filesystem::remove_all(cache);
}

TEST_F(Cache, AProgramThatCannotExecuteSaysSo) {
    std::string mount = "/tmp/tt-noexec-" + std::to_string(::getpid());
    std::filesystem::create_directories(mount);
    if (std::system(
            ("mount -t tmpfs -o noexec,size=256m tmpfs " + mount + " 2>/dev/null").c_str()) != 0) {
        std::filesystem::remove(mount);
        if (tt::in_ci()) {
            FAIL() << "cannot mount a noexec tmpfs";
        }
        GTEST_SKIP() << "cannot mount a noexec tmpfs here";
    }
    ASSERT_EQ(std::system(("chown tt_bob " + mount + " && chmod 700 " + mount).c_str()), 0);
    {
        tt::Master master;
        try {
            master.router.sudo({.username = "tt_bob", .env = {{"XDG_CACHE_HOME", mount}}});
            FAIL() << "no ConnectError";
        } catch (const tether::ConnectError& e) {
            EXPECT_TRUE(tt::contains(e.what(), "phase 'exec'")) << e.what();
            EXPECT_TRUE(tt::contains(e.what(), "mounted noexec")) << e.what();
        }
    }
    EXPECT_EQ(std::system(("umount " + mount).c_str()), 0);
    std::filesystem::remove(mount);
}

TEST_F(Cache, AProgramMissingASharedLibraryOnTheTargetSaysSo) {
    std::string out = run(std::string("LD_LIBRARY_PATH=") + TT_EXTRA_DIR + " " +
                          TT_NEEDS_LIB_MASTER + " tt_bob 2>&1");
    EXPECT_TRUE(tt::contains(out, "phase 'exec'")) << out;
    EXPECT_TRUE(tt::contains(out, "the program cannot run on the target")) << out;
    EXPECT_TRUE(tt::contains(out, "error while loading shared libraries: libtt_extra.so")) << out;
}

// Run by the next test in a process of its own: a master with a context under
// sudo and one under that, which prints their pids and waits to be killed.
TEST_F(Sudo, DISABLED_HelperMaster) {
    tt::Master master;
    tether::Context bob = master.router.sudo({.username = "tt_bob"});
    tether::Context below = master.router.local({.via = bob});
    std::cout << "PIDS " << bob.call(tt::pid) << " " << below.call(tt::pid) << std::endl;
    std::string line;
    std::getline(std::cin, line);
}

TEST_F(Sudo, SigkillOfTheMasterEndsContextsUnderSudo) {
    tt::HelperMaster helper("Sudo.DISABLED_HelperMaster");
    std::vector<int> pids = helper.pids();
    ASSERT_EQ(pids.size(), 2u) << "helper output so far: " << helper.output();
    int bob = pids[0], below = pids[1];
    ASSERT_GT(bob, 0);
    ASSERT_GT(below, 0);
    EXPECT_TRUE(tt::process_alive(bob));
    helper.kill();
    EXPECT_TRUE(tt::gone_within(bob, 3s)) << "the context under sudo, pid " << bob;
    EXPECT_TRUE(tt::gone_within(below, 3s)) << "its child, pid " << below;
}
