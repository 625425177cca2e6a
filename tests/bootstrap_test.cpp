// The pieces of the shell bootstrap on their own: SHA-256, shell quoting, the
// password dialog, and the script run by a real sh against every kind of bad
// stdin.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "parent/bootstrap.hpp"
#include "parent/marker_line.hpp"
#include "parent/password_dialog.hpp"
#include "parent/sha256.hpp"
#include "support/harness.hpp"
#include "support/sshd.hpp"  // tt::run

using namespace std::chrono_literals;
using tether::detail::PasswordDialog;

extern char** environ;

TEST(Sha256, KnownVectors) {
    using tether::detail::sha256_hex;
    EXPECT_EQ(sha256_hex("", 0),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc", 3),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    EXPECT_EQ(sha256_hex(two_blocks.data(), two_blocks.size()),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // A million 'a', fed in uneven pieces.
    tether::detail::Sha256 h;
    std::string chunk(997, 'a');
    std::size_t left = 1000000;
    while (left > 0) {
        std::size_t n = std::min(left, chunk.size());
        h.update(chunk.data(), n);
        left -= n;
    }
    EXPECT_EQ(h.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(ShellQuote, SurvivesARealShell) {
    for (std::string word :
         {"plain", "", "it's", "a b", "$HOME", "`x`", "\\", "\"q\"", "*", "line\nbreak", "-n"}) {
        std::string command = "printf %s " + tether::detail::shell_quote(word);
        FILE* p = ::popen(command.c_str(), "r");
        ASSERT_NE(p, nullptr);
        std::string out;
        char buf[256];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
            out.append(buf, n);
        }
        ::pclose(p);
        EXPECT_EQ(out, word) << command;
    }
}

TEST(PasswordDialog, PromptsMatchOnlyAtTheEndAndOnlyOnce) {
    tether::detail::PromptRules rules{"sudo", {"[tether-x] sudo password:"}, {}, {}, true};
    PasswordDialog dialog(rules, tether::Secret("pw"));
    EXPECT_EQ(dialog.on_pending("[tether-x] sudo password: and more").kind,
              PasswordDialog::Step::nothing);
    EXPECT_EQ(dialog.on_pending("We trust you have received the usual lecture").kind,
              PasswordDialog::Step::nothing);
    EXPECT_EQ(dialog.on_pending("[tether-x] SUDO password: ").kind, PasswordDialog::Step::answer);
    EXPECT_EQ(dialog.answer(), "pw\n");
    // pwfeedback echoes '*': not a new prompt.
    EXPECT_EQ(dialog.on_pending("[tether-x] sudo password: **").kind,
              PasswordDialog::Step::nothing);
    auto again = dialog.on_pending("[tether-x] sudo password:");
    EXPECT_EQ(again.kind, PasswordDialog::Step::fail);
    EXPECT_EQ(again.failure, "sudo: incorrect password");
    // sudo-rs's form of the same prompt.
    PasswordDialog rs(rules, tether::Secret("pw"));
    EXPECT_EQ(rs.on_pending("[sudo: [tether-x] sudo password:] Password:").kind,
              PasswordDialog::Step::answer);
    PasswordDialog none(rules, std::nullopt);
    EXPECT_EQ(none.on_pending("[tether-x] sudo password:").failure, "sudo: a password is required");
    none.finish();
    EXPECT_EQ(none.on_pending("[tether-x] sudo password:").kind, PasswordDialog::Step::nothing);
}

TEST(PasswordDialog, FailureLinesAfterTheAnswerMeanAWrongPassword) {
    tether::detail::PromptRules rules{
        "su", {"password:"}, {"authentication failure"}, {"does not exist"}, false};
    PasswordDialog dialog(rules, tether::Secret("pw"));
    EXPECT_EQ(dialog
                  .on_line("su: user nobody-here does not exist or the user entry does not "
                           "contain all the required fields")
                  .kind,
              PasswordDialog::Step::fail);
    EXPECT_EQ(dialog.on_pending("Password: ").kind, PasswordDialog::Step::answer);
    auto step = dialog.on_line("su: Authentication failure");
    EXPECT_EQ(step.kind, PasswordDialog::Step::fail);
    EXPECT_EQ(step.failure, "su: incorrect password (su: Authentication failure)");
}

TEST(MarkerLine, FindsTheMarkerAnywhereAndParsesWhatFollows) {
    using tether::detail::parse_marker_line;
    auto m = parse_marker_line("Last login: today" + std::string("MK SEND 1234\r"), "MK");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->before, "Last login: today");
    EXPECT_EQ(m->word, "SEND");
    EXPECT_EQ(m->rest, "1234");
    EXPECT_EQ(parse_marker_line("MK RUN", "MK")->rest, "");
    EXPECT_FALSE(parse_marker_line("MKRUN", "MK").has_value());
    EXPECT_FALSE(parse_marker_line("nothing here", "MK").has_value());
}

TEST(MarkerLine, AFailureWithOrWithoutItsReason) {
    using tether::detail::parse_script_failure;
    auto f = parse_script_failure("exec: cannot run: not found");
    EXPECT_EQ(f.phase, "exec");
    EXPECT_EQ(f.why, "cannot run: not found");
    // Ending at the colon threw std::out_of_range before (substr past the end).
    f = parse_script_failure("exec:");
    EXPECT_EQ(f.phase, "exec");
    EXPECT_EQ(f.why, "");
    EXPECT_EQ(parse_script_failure("odd").phase, "odd");
}

TEST(MarkerLine, LinesAreBoundedAndStopWhenAsked) {
    std::string pending;
    std::vector<std::string> lines;
    auto keep = [&](std::string line) {
        lines.push_back(std::move(line));
        return true;
    };
    EXPECT_TRUE(tether::detail::take_lines(pending, "a\nb", 8, keep));
    EXPECT_EQ(pending, "b");
    EXPECT_TRUE(tether::detail::take_lines(pending, "cdefghijk", 8, keep));
    EXPECT_EQ(lines, (std::vector<std::string>{"a", "bcdefghijk"})) << "cut at the bound";
    EXPECT_EQ(pending, "");
    EXPECT_FALSE(
        tether::detail::take_lines(pending, "x\ny\nz", 8, [](std::string) { return false; }));
    EXPECT_EQ(pending, "y\nz") << "what follows the stop stays";
}

TEST(BootstrapScript, IsOneLineOfValidShWithOnlyBracedExpansions) {
    const std::string& script = tether::detail::bootstrap_script();
    EXPECT_EQ(script.find('\n'), std::string::npos);
    // sudo -i escapes everything but letters, digits, '_', '-' and '$'
    // before its login shell parses the command once more: `$x` would be
    // expanded there, `${x}` and `$(` reach our sh intact.
    std::smatch bare;
    EXPECT_FALSE(std::regex_search(script, bare, std::regex(R"(\$[A-Za-z0-9_$-])"))) << bare.str();
    std::string command = "sh -n -c " + tether::detail::shell_quote(script);
    EXPECT_EQ(std::system(command.c_str()), 0);
}

namespace {

// A stand-in for the program: a script that announces itself the way the
// real program does.
struct FakeProgram {
    std::string text = "#!/bin/sh\nprintf '%s\\n' \"$TETHER_BOOT_MARKER\"\n";
    tether::detail::ProgramImage image;
    explicit FakeProgram(std::string comment = "") {
        text += comment;
        image.data = reinterpret_cast<const unsigned char*>(text.data());
        image.size = text.size();
        image.sha256 = tether::detail::sha256_hex(text.data(), text.size());
    }
};

struct Outcome {
    std::string output;
    int status = -1;
    double cpu_seconds = 0;
    std::chrono::milliseconds elapsed{0};
};

class BootstrapRun : public ::testing::Test {
  protected:
    void SetUp() override {
        // A space in the path: the script must never split it.
        cache_ = tt::temp_path("cache") + " with space";
        std::filesystem::create_directories(cache_);
        plan_.marker = "tether-0123456789abcdef";
        plan_.image = &program_.image;
        plan_.timeout = 1s;
        plan_.env = {{"XDG_CACHE_HOME", cache_}};
    }
    void TearDown() override { std::filesystem::remove_all(cache_); }

    // Runs the bootstrap with `in` as its stdin; `feed` may write to the
    // other side once the script asked for the program.
    Outcome run(int in, const std::function<void()>& feed = {}) {
        int out[2];
        EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
        std::vector<std::string> argv = tether::detail::bootstrap_argv(plan_);
        std::vector<char*> c_argv;
        for (auto& a : argv) {
            c_argv.push_back(a.data());
        }
        c_argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in, 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        auto start = std::chrono::steady_clock::now();
        pid_t pid = -1;
        EXPECT_EQ(::posix_spawn(&pid, "/bin/sh", &actions, nullptr, c_argv.data(), environ), 0);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        Outcome outcome;
        char buf[4096];
        bool fed = false;
        for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) {
            outcome.output.append(buf, static_cast<std::size_t>(n));
            if (!fed && feed && tt::contains(outcome.output, " SEND ")) {
                fed = true;
                feed();
            }
        }
        ::close(out[0]);
        rusage usage{};
        ::wait4(pid, &outcome.status, 0, &usage);
        outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
        outcome.cpu_seconds =
            static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
            static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
        return outcome;
    }

    std::string cached_file() const { return cache_ + "/tether/" + program_.image.sha256; }

    FakeProgram program_;
    tether::detail::BootstrapPlan plan_;
    std::string cache_;
};

}  // namespace

TEST_F(BootstrapRun, ShipsOnceThenReuses) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    Outcome first = run(p[0], [&] {
        ASSERT_EQ(::write(p[1], program_.text.data(), program_.text.size()),
                  static_cast<ssize_t>(program_.text.size()));
    });
    ::close(p[0]);
    ::close(p[1]);
    EXPECT_EQ(first.output, "tether-0123456789abcdef START\ntether-0123456789abcdef SEND " +
                                program_.image.sha256 +
                                " raw\ntether-0123456789abcdef GOT\ntether-0123456789abcdef RUN\n");
    EXPECT_TRUE(std::filesystem::is_regular_file(cached_file()));
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    Outcome second = run(null);
    ::close(null);
    EXPECT_EQ(second.output,
              "tether-0123456789abcdef START\ntether-0123456789abcdef HAVE\n"
              "tether-0123456789abcdef RUN\n");
}

namespace {

const std::string kMark = "tether-0123456789abcdef ";

// Writes `bytes` to a pipe's other end once the script asked for them.
struct Feed {
    int pipe[2] = {-1, -1};
    Feed() { EXPECT_EQ(::pipe2(pipe, O_CLOEXEC), 0); }
    ~Feed() {
        ::close(pipe[0]);
        ::close(pipe[1]);
    }
    std::function<void()> of(const std::string& bytes) {
        return [this, bytes] {
            ASSERT_EQ(::write(pipe[1], bytes.data(), bytes.size()),
                      static_cast<ssize_t>(bytes.size()));
        };
    }
};

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_F(BootstrapRun, ShipsGzippedWhenOfferedAndTheTargetHasGzip) {
    plan_.compress = true;
    const std::vector<unsigned char>& gz = program_.image.gzipped();
    std::string upload = std::to_string(gz.size()) + "\n" + std::string(gz.begin(), gz.end());
    Feed feed;
    Outcome first = run(feed.pipe[0], feed.of(upload));
    EXPECT_EQ(first.output, kMark + "START\n" + kMark + "SEND " + program_.image.sha256 +
                                " gzip\n" + kMark + "GOT\n" + kMark + "RUN\n");
    EXPECT_EQ(file_text(cached_file()), program_.text);
}

TEST_F(BootstrapRun, AnOldGlibcGetsThePortableImageOrAClearRefusal) {
    // This machine's glibc, as the script reads it ("glibc 2.36").
    std::string have = tt::run("getconf GNU_LIBC_VERSION");
    ASSERT_TRUE(have.starts_with("glibc ")) << have;
    have = have.substr(6, have.size() - 7);
    program_.image.interpreter = "/bin/sh";  // a loader that is there
    program_.image.glibc = "999.1";
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    Outcome refused = run(null);
    EXPECT_TRUE(tt::contains(refused.output, kMark + "FAIL exec: the target's glibc " + have +
                                                 " is older than this program needs (999.1); "
                                                 "build with TETHER_PORTABLE\n"))
        << refused.output;
    EXPECT_FALSE(std::filesystem::exists(cached_file()));

    // With a portable build at hand, that one is asked for, stored and run,
    // and found in the cache the next time.
    FakeProgram portable("# the portable build\n");
    plan_.portable = &portable.image;
    Feed feed;
    Outcome first = run(feed.pipe[0], feed.of(portable.text));
    EXPECT_EQ(first.output, kMark + "START\n" + kMark + "SEND " + portable.image.sha256 + " raw\n" +
                                kMark + "GOT\n" + kMark + "RUN\n");
    EXPECT_EQ(file_text(cache_ + "/tether/" + portable.image.sha256), portable.text);
    EXPECT_FALSE(std::filesystem::exists(cached_file()));
    Outcome second = run(null);
    EXPECT_EQ(second.output, kMark + "START\n" + kMark + "HAVE\n" + kMark + "RUN\n");

    // A glibc new enough, and no portable build cached: the program itself.
    program_.image.glibc = "2.0";
    plan_.portable = nullptr;
    Feed feed_self;
    Outcome self = run(feed_self.pipe[0], feed_self.of(program_.text));
    EXPECT_TRUE(tt::contains(self.output, "SEND " + program_.image.sha256 + " raw")) << self.output;
    ::close(null);
}

TEST_F(BootstrapRun, ATargetWithoutTheLoaderIsRefused) {
    program_.image.interpreter = "/nonexistent/ld-linux-x86-64.so.2";
    program_.image.glibc = "2.34";
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    Outcome refused = run(null);
    ::close(null);
    EXPECT_TRUE(tt::contains(refused.output,
                             kMark + "FAIL exec: the target has no glibc (no "
                                     "/nonexistent/ld-linux-x86-64.so.2); this program needs "
                                     "glibc 2.34; build with TETHER_PORTABLE\n"))
        << refused.output;
}

TEST_F(BootstrapRun, ACachedProgramOrDirectoryOthersCouldChangeIsRefused) {
    std::filesystem::create_directories(cache_ + "/tether");
    { std::ofstream(cached_file()) << program_.text; }
    using std::filesystem::perms;
    std::filesystem::permissions(cached_file(), perms::owner_all | perms::group_write);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    Outcome file = run(null);
    EXPECT_TRUE(tt::contains(file.output, "FAIL bootstrap: refusing " + cached_file() +
                                              ": it must be owned by uid " +
                                              std::to_string(::geteuid())))
        << file.output;
    EXPECT_FALSE(tt::contains(file.output, " RUN")) << file.output;

    std::filesystem::permissions(cached_file(), perms::owner_all);
    std::filesystem::permissions(cache_ + "/tether", perms::owner_all | perms::others_write);
    Outcome dir = run(null);
    ::close(null);
    EXPECT_TRUE(tt::contains(dir.output, "FAIL bootstrap: refusing cache directory " + cache_ +
                                             "/tether: it must be owned"))
        << dir.output;
    EXPECT_FALSE(tt::contains(dir.output, " RUN")) << dir.output;
}

TEST_F(BootstrapRun, EofShortInputAndSilenceEndItWithoutSpinning) {
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    Outcome eof = run(null);
    ::close(null);
    EXPECT_TRUE(tt::contains(eof.output, "FAIL upload: short input: received 0 of")) << eof.output;
    EXPECT_EQ(WEXITSTATUS(eof.status), 1);

    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    Outcome short_input = run(p[0], [&] {
        ASSERT_EQ(::write(p[1], "#!", 2), 2);
        ::close(p[1]);
    });
    ::close(p[0]);
    EXPECT_TRUE(tt::contains(short_input.output, "FAIL upload: short input: received 2 of"))
        << short_input.output;

    // Nothing at all, the writer still there: the script's own deadline.
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    Outcome silence = run(p[0]);
    ::close(p[0]);
    ::close(p[1]);
    EXPECT_TRUE(tt::contains(silence.output, "FAIL upload: reading the program failed"))
        << silence.output;
    EXPECT_LT(silence.elapsed, 10s);
    EXPECT_LT(silence.cpu_seconds, 0.5) << "the bootstrap spun while it waited";
    EXPECT_FALSE(std::filesystem::exists(cached_file()));
}

TEST_F(BootstrapRun, ANonBlockingStdinDoesNotMakeItSpin) {
    // A non-blocking pipe (sudo with I/O logging gives one): the script
    // reopens it as a blocking one and gets the program.
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    Outcome piped = run(p[0], [&] {
        std::this_thread::sleep_for(100ms);  // the reader is waiting by now: no data yet
        ASSERT_EQ(::write(p[1], program_.text.data(), program_.text.size()),
                  static_cast<ssize_t>(program_.text.size()));
    });
    ::close(p[0]);
    ::close(p[1]);
    EXPECT_TRUE(tt::contains(piped.output, "RUN")) << piped.output;
    std::filesystem::remove(cached_file());

    // A non-blocking socket cannot be reopened: the read fails at once.
    int s[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, s), 0);
    Outcome socket = run(s[0]);
    ::close(s[0]);
    ::close(s[1]);
    EXPECT_TRUE(tt::contains(socket.output, "FAIL upload")) << socket.output;
    EXPECT_LT(socket.cpu_seconds, 0.5) << "the bootstrap spun on EAGAIN";
}
