// The program on targets without our C library: chroot into a Debian 11 root
// (glibc 2.31) and into a root holding only busybox. Built twice
// (tests/CMakeLists.txt): as portable_tests, a program that carries its
// static-pie image (tether_portable_executable), where everything works; and
// as unportable_tests, a plain one, where the start fails saying why.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "parent/program_image.hpp"
#include "support/functions.hpp"
#include "support/harness.hpp"
#include "support/roots.hpp"
#include "tether/tether.hpp"

namespace {

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
}

}  // namespace

TETHER_EXPORT(file_text);

namespace {

// A cache directory of its own inside the root, so that every run uploads
// (the roots themselves are kept between runs), removed afterwards.
class FreshCache {
  public:
    explicit FreshCache(const std::string& root)
        : inside_("/tmp/tt-cache-" + std::to_string(::getpid())), outside_(root + inside_) {
        std::filesystem::remove_all(outside_);
    }
    ~FreshCache() { std::filesystem::remove_all(outside_); }
    std::map<std::string, std::string> env() const { return {{"XDG_CACHE_HOME", inside_}}; }
    // The programs cached there, by file name.
    std::vector<std::string> programs() const {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(outside_ + "/tether")) {
            names.push_back(entry.path().filename().string());
        }
        return names;
    }

  private:
    std::string inside_;
    std::string outside_;
};

#define TT_ROOT_OR_SKIP(var, maker) \
    tt::Root var = maker();         \
    if (var.path.empty()) {         \
        GTEST_SKIP() << var.why;    \
    }                               \
    (void)0

#ifdef TT_PORTABLE

// Calls, a record logged there, a grandchild, and shutdown, in `root`.
void works_in(const std::string& root, const std::string& version_file, const std::string& expect) {
    ASSERT_NE(tether::detail::portable_program(), nullptr) << "built without its portable image";
    tt::ProcMount proc(root);
    FreshCache cache(root);
    tt::LogCapture log;
    tt::Master master;
    tether::Context chrooted =
        master.router.chroot({.path = root, .name = "in-root", .env = cache.env()});
    EXPECT_EQ(chrooted.call(file_text, version_file).substr(0, expect.size()), expect);
    EXPECT_EQ(chrooted.call(tt::add, 2, 3), 5);
    chrooted.call(tt::print_line, "hello from the root");
    // What went there is the static image, not this (dynamic) program.
    std::vector<std::string> cached = cache.programs();
    ASSERT_EQ(cached.size(), 1U);
    EXPECT_EQ(cached[0], tether::detail::portable_program()->sha256);
    EXPECT_NE(cached[0], tether::detail::this_program().sha256);
    // A grandchild: the static program started again, inside the root.
    tether::Context grandchild = master.router.local({.via = chrooted});
    EXPECT_EQ(grandchild.call(file_text, version_file).substr(0, expect.size()), expect);
    EXPECT_NE(grandchild.call(tt::pid), chrooted.call(tt::pid));
    grandchild.shutdown(true);
    chrooted.shutdown(true);
    EXPECT_THROW(chrooted.call(tt::add, 1, 1), tether::ChannelError);
    EXPECT_TRUE(tt::contains(log.text(), "tether.ctx.in-root: stdout: hello from the root"))
        << log.text();
}

TEST(Portable, RunsInADebian11Root) {
    TT_ROOT_OR_SKIP(root, tt::bullseye_root);
    works_in(root.path, "/etc/debian_version", "11.");
}

TEST(Portable, RunsInARootWithOnlyBusybox) {
    TT_ROOT_OR_SKIP(root, tt::busybox_root);
    // No /etc there at all: the mark the tests left when they made it.
    works_in(root.path, "/.tether-root-complete", "made by the tether tests");
}

#else

std::string start_error(const std::string& root) {
    FreshCache cache(root);
    tt::Master master;
    try {
        master.router.chroot({.path = root, .env = cache.env()});
    } catch (const tether::ConnectError& e) {
        return e.what();
    }
    return "started";
}

TEST(Unportable, ADebian11RootIsRefusedNamingBothGlibcs) {
    TT_ROOT_OR_SKIP(root, tt::bullseye_root);
    std::string why = start_error(root.path);
    EXPECT_TRUE(tt::contains(why, "the target's glibc 2.31 is older than this program needs (" +
                                      tether::detail::this_program().glibc +
                                      "); build with TETHER_PORTABLE"))
        << why;
}

TEST(Unportable, ARootWithoutGlibcIsRefused) {
    TT_ROOT_OR_SKIP(root, tt::busybox_root);
    std::string why = start_error(root.path);
    EXPECT_TRUE(tt::contains(
        why, "the target has no glibc (no " + tether::detail::this_program().interpreter + ")"))
        << why;
    EXPECT_TRUE(tt::contains(why, "build with TETHER_PORTABLE")) << why;
}

#endif

}  // namespace
