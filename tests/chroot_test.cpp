// chroot for real: a root the test makes from this machine's /usr and /etc
// (tests/support/chroot_root.hpp), entered with the real chroot(8).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "support/chroot_root.hpp"
#include "support/functions.hpp"
#include "support/harness.hpp"
#include "support/users.hpp"
#include "tools/inventory.hpp"
#include "tools/target.hpp"

using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

class Chroot : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string missing;
        if (::geteuid() != 0) {
            missing = "not running as root";
        } else {
            try {
                root_.emplace();
            } catch (const std::exception& e) {
                missing = std::string("cannot make a root here: ") + e.what();
            }
        }
        tt::require("the chroot tests", missing);
    }

    std::optional<tt::ChrootRoot> root_;
};

// What ConnectError a chroot start with `options` ends in ("" for none).
std::string connect_error(tether::Router& router, tether::ChrootOptions options) {
    try {
        router.chroot(std::move(options)).shutdown(true);
    } catch (const tether::ConnectError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_F(Chroot, CallsRunInsideTheRootAndTheProgramIsCachedThere) {
    tt::Master master;
    tether::Context c = master.router.chroot({.path = root_->path()});
    EXPECT_EQ(c.name(), "chroot." + root_->path());
    EXPECT_EQ(c.call(tt::add, 2, 3), 5);
    EXPECT_EQ(c.call(tt::euid), 0);
    // Inside, the root's own files: /root is the empty directory the test
    // made, so a file made there shows up under the root here.
    const std::string marker = "/root/made-inside";
    c.call(tt::touch_and_sleep, marker, 0);
    EXPECT_TRUE(fs::exists(root_->path() + marker));
    EXPECT_FALSE(fs::exists(marker));
    // The program was shipped into the root's HOME cache.
    bool cached = false;
    std::error_code ec;
    for (const auto& entry :
         fs::recursive_directory_iterator(root_->path() + "/root/.cache/tether", ec)) {
        cached |= entry.is_regular_file();
    }
    EXPECT_TRUE(cached) << "nothing under " << root_->path() << "/root/.cache/tether";
    c.shutdown(true);
    // A second start finds it there and works the same.
    tether::Context again = master.router.chroot({.path = root_->path()});
    EXPECT_EQ(again.call(tt::greet, std::string("root")), tt::greet("root"));
    again.shutdown(true);
}

TEST_F(Chroot, AGrandchildStartsFromInsideTheRoot) {
    tt::Master master;
    tether::Context c = master.router.chroot({.path = root_->path()});
    tether::Context inner = master.router.local({.via = c});
    EXPECT_EQ(inner.call(tt::add, 20, 22), 42);
    inner.call(tt::touch_and_sleep, std::string("/tmp/from-the-grandchild"), 0);
    EXPECT_TRUE(fs::exists(root_->path() + "/tmp/from-the-grandchild"));
    // And a chroot started from inside another context.
    tether::Context local = master.router.local();
    tether::Context via_local = master.router.chroot({.path = root_->path(), .via = local});
    EXPECT_EQ(via_local.name(), local.name() + ".chroot." + root_->path());
    EXPECT_EQ(via_local.call(tt::add, 1, 1), 2);
    inner.shutdown(true);
    c.shutdown(true);
    via_local.shutdown(true);
}

TEST_F(Chroot, AUserspecRunsAsThatUser) {
    if (tt::uid_of("tt_bob") < 0) {
        tt::require("the chroot --userspec test",
                    "the tt_ users are missing (ctest runs tests/support/tt-users.sh setup)");
        return;
    }
    tt::Master master;
    tether::Context bob = master.router.chroot({.path = root_->path(), .username = "tt_bob"});
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));
    bob.shutdown(true);
}

TEST_F(Chroot, AMissingRootOrOneWithoutAShellSaysSoInChrootsWords) {
    tt::Master master;
    std::string missing = connect_error(master.router, {.path = root_->path() + "/no-such-root"});
    EXPECT_TRUE(tt::contains(missing, "chroot: cannot change root directory")) << missing;
    EXPECT_TRUE(tt::contains(missing, "No such file or directory")) << missing;

    fs::create_directory(root_->path() + "/tmp/empty");
    std::string empty = connect_error(master.router, {.path = root_->path() + "/tmp/empty"});
    EXPECT_TRUE(tt::contains(empty, "chroot: failed to run command")) << empty;
    EXPECT_TRUE(tt::contains(empty, "/bin/sh")) << empty;

    std::string bad = connect_error(master.router, {.path = "-x"});
    EXPECT_TRUE(tt::contains(bad, "chroot: invalid path '-x'")) << bad;
}

TEST(ChrootTarget, APathRunsToTheEndOrSitsInBrackets) {
    using tether::cli::Method;
    auto last = tether::cli::parse_target("sudo:tt_bob/chroot:/srv/a root/x");
    ASSERT_EQ(last.hops.size(), 2U);
    EXPECT_EQ(last.hops[1].method, Method::chroot);
    EXPECT_EQ(last.hops[1].path, "/srv/a root/x");
    auto middle = tether::cli::parse_target("chroot:[/srv/root]/sudo:tt_bob");
    ASSERT_EQ(middle.hops.size(), 2U);
    EXPECT_EQ(middle.hops[0].path, "/srv/root");
    EXPECT_EQ(middle.hops[1].method, Method::sudo);
    EXPECT_EQ(middle.prefix(1), "chroot:[/srv/root]");
    EXPECT_THROW(tether::cli::parse_target("chroot:"), tether::cli::UsageError);
    EXPECT_THROW(tether::cli::parse_target("chroot:[/srv"), tether::cli::UsageError);
    EXPECT_THROW(tether::cli::parse_target("chroot:[/srv]x"), tether::cli::UsageError);
}

TEST(ChrootTarget, TheToolsResolverKeepsThePathWhole) {
    using tether::cli::Method;
    tether::cli::Inventory none;
    auto targets = tether::cli::resolve_targets(
        {"chroot:/srv/r/x", "chroot:[/srv/r]/local", "doas/chroot:/a/b"}, none);
    ASSERT_EQ(targets.size(), 3U);
    ASSERT_EQ(targets[0].hops.size(), 1U);
    EXPECT_EQ(targets[0].hops[0].path, "/srv/r/x");
    ASSERT_EQ(targets[1].hops.size(), 2U);
    EXPECT_EQ(targets[1].hops[0].path, "/srv/r");
    EXPECT_EQ(targets[1].hops[1].method, Method::local);
    ASSERT_EQ(targets[2].hops.size(), 2U);
    EXPECT_EQ(targets[2].hops[0].method, Method::doas);
    EXPECT_EQ(targets[2].hops[1].path, "/a/b");
    EXPECT_THROW(tether::cli::resolve_targets({"chroot:[/srv/r]x"}, none), tether::cli::UsageError);
}
