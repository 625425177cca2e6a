// The podman method against the real podman (Debian's package), in a
// container the test makes from a root of bind mounts, so no image is
// downloaded. tests/support/podman-here runs podman the way it can run in
// this sandbox; the container's own limits (below) are what crun needs
// here: an RLIMIT_NPROC under the hard limit, since raising it needs
// CAP_SYS_RESOURCE, and no cgroups.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "parent/bootstrap.hpp"
#include "support/chroot_root.hpp"
#include "support/harness.hpp"

namespace {

bool inside_file(std::string path) {
    return std::filesystem::exists(path);
}

std::string pid_namespace() {
    return std::filesystem::read_symlink("/proc/self/ns/pid").string();
}

}  // namespace

TETHER_EXPORT(inside_file);
TETHER_EXPORT(pid_namespace);

namespace {

const std::string kPodman = TT_PODMAN_HERE;

// Runs podman-here with `args`; its exit status and output (both streams).
std::pair<int, std::string> podman(const std::vector<std::string>& args) {
    std::vector<std::string> words{kPodman};
    words.insert(words.end(), args.begin(), args.end());
    return tt::shell(tether::detail::shell_join(words));
}

class Podman : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "podman's rootful containers need root";
        }
        if (!std::filesystem::exists("/usr/bin/podman")) {
            GTEST_SKIP() << "podman is not installed (scripts/install-deps.sh --test installs it)";
        }
        root_.emplace();
        marker_ = "/tmp/tt-inside-" + std::to_string(std::random_device{}());
        std::ofstream(root_->path() + marker_) << "x";
        name_ = "tt-podman-" + std::to_string(::getpid());
        podman({"rm", "--force", "--time", "0", name_});  // left by a killed run
        auto [status, out] =
            podman({"run", "--detach", "--name", name_, "--network", "none", "--cgroups",
                    "disabled", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000",
                    "--rootfs", root_->path(), "/bin/sleep", "infinity"});
        ASSERT_EQ(status, 0) << "podman run failed: " << out;
        running_ = true;
    }
    void TearDown() override {
        if (running_) {
            auto [status, out] = podman({"rm", "--force", "--time", "0", name_});
            EXPECT_EQ(status, 0) << out;
        }
        root_.reset();
    }

    tt::Master master_;
    std::optional<tt::ChrootRoot> root_;
    std::string marker_, name_;
    bool running_ = false;
};

}  // namespace

TEST_F(Podman, ExecRunsInTheContainer) {
    tether::Context ctx = master_.router.podman({.container = name_, .podman_path = kPodman});
    EXPECT_EQ(ctx.name(), "podman." + name_);
    EXPECT_EQ(ctx.call(tt::add, 2, 3), 5);
    EXPECT_TRUE(ctx.call(inside_file, marker_));
    EXPECT_FALSE(inside_file(marker_));
    tether::Context grandchild = master_.router.local({.via = ctx});
    EXPECT_EQ(grandchild.call(tt::add, 20, 22), 42);
    EXPECT_TRUE(grandchild.call(inside_file, marker_));
    EXPECT_NE(ctx.call(pid_namespace), pid_namespace()) << "not in the container's namespaces";
    grandchild.shutdown(true);
    ctx.shutdown(true);
    EXPECT_THROW(ctx.call(tt::add, 1, 1), tether::ChannelError);
}

TEST_F(Podman, AsAnotherUserFromInsideAnotherContext) {
    tether::Context local = master_.router.local();
    tether::Context ctx = master_.router.podman(
        {.container = name_, .username = "nobody", .podman_path = kPodman, .via = local});
    EXPECT_EQ(ctx.name(), local.name() + ".podman." + name_);
    EXPECT_EQ(ctx.call(tt::euid), 65534);
    EXPECT_TRUE(ctx.call(inside_file, marker_));
    ctx.shutdown(true);
    local.shutdown(true);
}

TEST_F(Podman, NoSuchContainerSaysSo) {
    try {
        master_.router.podman({.container = name_ + "-nope", .podman_path = kPodman});
        ADD_FAILURE() << "started a context in a container that does not exist";
    } catch (const tether::ConnectError& e) {
        std::string all = std::string(e.what()) + "\n" + e.diagnostics();
        EXPECT_TRUE(tt::contains(all, "podman." + name_ + "-nope")) << all;
        EXPECT_TRUE(tt::contains(all, "no container with name or ID \"" + name_ + "-nope\""))
            << all;
    }
}
