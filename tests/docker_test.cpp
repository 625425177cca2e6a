// The docker method against the real Docker daemon (Debian's docker.io),
// one per test program run, started by the test itself with vfs storage
// and no network setup (tests/support/docker_daemon.hpp), and images the
// test imports from roots it makes, so nothing is downloaded:
//   - host: the merged-/usr symlinks, empty directories and copies of
//     /etc/passwd and /etc/group; its container runs with this machine's
//     /usr and /etc mounted read-only, so host programs (the test program
//     among them) run in it;
//   - busybox: tt::busybox_root() alone (no glibc);
//   - glibc: that busybox root plus the shared libraries this program
//     needs, copied in: a self-contained image that `docker run` (the image
//     mode, which mounts nothing) can run the program in.
// The host and glibc images hold a marker file the host has not. The
// stand-in tests in container_test.cpp check the exact argv; these check
// what the daemon does with it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>

#include "parent/bootstrap.hpp"
#include "parent/program_image.hpp"
#include "support/docker_daemon.hpp"
#include "support/harness.hpp"
#include "support/roots.hpp"

namespace {

bool docker_sees(std::string path) {
    return std::filesystem::exists(path);
}

std::string docker_pid_namespace() {
    return std::filesystem::read_symlink("/proc/self/ns/pid").string();
}

}  // namespace

TETHER_EXPORT(docker_sees);
TETHER_EXPORT(docker_pid_namespace);

namespace {

namespace fs = std::filesystem;

std::vector<std::string> words_of(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string word; in >> word;) {
        out.push_back(word);
    }
    return out;
}

// Runs a shell command; throws with its output unless it succeeds.
std::string sh(const std::string& command) {
    auto [status, out] = tt::shell(command);
    if (status != 0) {
        throw std::runtime_error(command + " failed: " + out);
    }
    return out;
}

class Docker : public ::testing::Test {
  protected:
    // One dockerd for every test in this run; what a test needs of it (an
    // image, the running container) is made on first use and goes with
    // the daemon in TearDownTestSuite.
    static void SetUpTestSuite() {
        why_not_ = tt::DockerDaemon::missing();
        if (!why_not_.empty()) {
            return;
        }
        try {
            daemon_ = std::make_unique<tt::DockerDaemon>();
        } catch (const std::exception& e) {
            broken_ = e.what();
        }
    }
    static void TearDownTestSuite() {
        if (daemon_) {
            std::string problems = daemon_->stop();
            daemon_.reset();
            EXPECT_EQ(problems, "") << "stopping the test's dockerd";
        }
        images_.clear();
        container_.clear();
    }
    void SetUp() override {
        if (!why_not_.empty()) {
            GTEST_SKIP() << why_not_;
        }
        ASSERT_TRUE(daemon_) << "the test's dockerd did not start: " << broken_;
    }

    static std::string client() { return daemon_->client(); }
    static std::pair<int, std::string> docker(const std::vector<std::string>& args) {
        return daemon_->docker(args);
    }

    // A file in every image the test makes, and not on this machine.
    static const std::string& marker() {
        static const std::string path = "/tt-inside-docker-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}());
        return path;
    }

    // The image `kind` ("host", "busybox" or "glibc"; see the top of this
    // file), imported on first use; `busybox` is the root the last two are
    // made from. Throws std::runtime_error.
    static const std::string& image(const std::string& kind, const tt::Root& busybox = {}) {
        auto found = images_.find(kind);
        if (found != images_.end()) {
            return found->second;
        }
        std::string name = "tt-docker-" + std::to_string(::getpid()) + "-" + kind;
        std::string root = daemon_->dir() + "/root-" + kind;
        if (kind == "host") {
            for (const char* d : {"usr", "etc", "tmp", "root", "proc", "dev", "sys"}) {
                fs::create_directories(root + "/" + d);
            }
            fs::permissions(root + "/tmp", fs::perms::all | fs::perms::sticky_bit);
            for (const char* d : {"bin", "lib", "lib64", "sbin"}) {
                fs::create_directory_symlink(std::string("usr/") + d, root + "/" + d);
            }
            // dockerd resolves `exec --user NAME` in the container's own
            // root filesystem, not through its volumes ("unable to find
            // user nobody: no matching entries in passwd file").
            for (const char* f : {"/etc/passwd", "/etc/group"}) {
                fs::copy_file(f, root + f);
            }
        } else if (kind == "busybox") {
            root = busybox.path;  // the shared cache: imported as it is, never changed
        } else {
            // The libraries ldd names, each at the path it names (where the
            // loader and its default search path find them).
            sh(tether::detail::shell_join({"cp", "-a", busybox.path, root}));
            std::string out = sh("ldd " + fs::read_symlink("/proc/self/exe").string());
            for (const std::string& word : words_of(out)) {
                if (word.front() == '/') {
                    fs::create_directories(root + fs::path(word).parent_path().string());
                    fs::copy_file(fs::canonical(word), root + word);
                }
            }
        }
        if (kind != "busybox") {
            std::ofstream(root + marker()) << "x";
        }
        daemon_->import(root, name);
        return images_[kind] = name;
    }

    // A container from the host image, running `sleep infinity` with this
    // machine's /usr and /etc, read-only. Started on first use. Throws.
    static const std::string& container() {
        if (container_.empty()) {
            std::string name = "tt-docker-" + std::to_string(::getpid());
            auto [status, out] = docker({"run", "--detach", "--name", name, "--network", "none",
                                         "--volume", "/usr:/usr:ro", "--volume", "/etc:/etc:ro",
                                         image("host"), "sleep", "infinity"});
            if (status != 0) {
                throw std::runtime_error("docker run failed: " + out);
            }
            container_ = name;
        }
        return container_;
    }

    // The containers made from `image`: all of them, or the running ones.
    static std::vector<std::string> containers_of(const std::string& image, bool all) {
        std::vector<std::string> args{"ps", "--quiet", "--filter", "ancestor=" + image};
        if (all) {
            args.push_back("--all");
        }
        auto [status, out] = docker(args);
        EXPECT_EQ(status, 0) << out;
        return words_of(out);
    }

    tt::Master master_;

    static inline std::string why_not_;  // skip: this machine cannot run dockerd
    static inline std::string broken_;   // fail: dockerd would not start
    static inline std::unique_ptr<tt::DockerDaemon> daemon_;
    static inline std::map<std::string, std::string> images_;  // kind -> name
    static inline std::string container_;
};

}  // namespace

TEST_F(Docker, ExecRunsInTheContainer) {
    const std::string& name = container();
    tether::Context ctx = master_.router.docker({.container = name, .docker_path = client()});
    EXPECT_EQ(ctx.name(), "docker." + name);
    EXPECT_EQ(ctx.call(tt::add, 2, 3), 5);
    EXPECT_TRUE(ctx.call(docker_sees, marker())) << "not inside the container";
    EXPECT_FALSE(docker_sees(marker())) << "the marker is on the host";
    EXPECT_NE(ctx.call(docker_pid_namespace), docker_pid_namespace())
        << "not in the container's namespaces";
    // Shipped over docker exec's stdin into the container's $HOME cache
    // (root's /root, a directory of the image), and found there next time.
    EXPECT_TRUE(
        ctx.call(docker_sees, "/root/.cache/tether/" + tether::detail::this_program().sha256));
    {
        tt::LogCapture log;
        tether::set_log_level("debug");
        tether::Context again = master_.router.docker({.container = name, .docker_path = client()});
        tether::set_log_level("info");
        EXPECT_EQ(log.count("the program runs (cached)"), 1u) << log.text();
        EXPECT_NE(again.call(tt::pid), ctx.call(tt::pid));
        again.shutdown(true);
    }
    tether::Context grandchild = master_.router.local({.via = ctx});
    EXPECT_TRUE(tt::contains(grandchild.name(), "docker." + name + ".local.")) << grandchild.name();
    EXPECT_EQ(grandchild.call(tt::add, 20, 22), 42);
    EXPECT_TRUE(grandchild.call(docker_sees, marker()));
    EXPECT_EQ(grandchild.call(docker_pid_namespace), ctx.call(docker_pid_namespace));
    grandchild.shutdown(true);
    ctx.shutdown(true);
    EXPECT_THROW(ctx.call(tt::add, 1, 1), tether::ChannelError);
}

TEST_F(Docker, AsAnotherUserFromInsideAnotherContext) {
    const std::string& name = container();
    tether::Context local = master_.router.local();
    tether::Context ctx = master_.router.docker(
        {.container = name, .username = "nobody", .docker_path = client(), .via = local});
    EXPECT_EQ(ctx.name(), local.name() + ".docker." + name);
    EXPECT_EQ(ctx.call(tt::euid), 65534);
    EXPECT_TRUE(ctx.call(docker_sees, marker()));
    EXPECT_NE(ctx.call(docker_pid_namespace), local.call(docker_pid_namespace));
    ctx.shutdown(true);
    EXPECT_THROW(ctx.call(tt::add, 1, 1), tether::ChannelError);
    local.shutdown(true);
}

TEST_F(Docker, NoSuchContainerSaysSo) {
    std::string name = "tt-docker-" + std::to_string(::getpid()) + "-nope";
    std::string failure = tt::connect_failure(
        [&] { master_.router.docker({.container = name, .docker_path = client()}); });
    EXPECT_TRUE(tt::contains(failure, "docker." + name)) << failure;
    EXPECT_TRUE(tt::contains(failure, "No such container: " + name)) << failure;
}

TEST_F(Docker, AnImageWithoutGlibcSaysSoAndLeavesNoContainer) {
    tt::Root busybox = tt::busybox_root();
    if (busybox.path.empty()) {
        GTEST_SKIP() << busybox.why;
    }
    if (tether::detail::portable_program() != nullptr) {
        GTEST_SKIP() << "this program carries a portable build, which runs without glibc";
    }
    const std::string& name = image("busybox", busybox);
    std::string failure = tt::connect_failure(
        [&] { master_.router.docker({.image = name, .docker_path = client()}); });
    EXPECT_TRUE(tt::contains(failure, "docker." + name)) << failure;
    EXPECT_TRUE(tt::contains(
        failure, "the target has no glibc (no " + tether::detail::this_program().interpreter + ")"))
        << failure;
    EXPECT_TRUE(tt::contains(failure, "build with TETHER_PORTABLE")) << failure;
    // tether reaped the client before it threw, and `docker run --rm`
    // exits only once its container has been removed.
    EXPECT_EQ(containers_of(name, true), std::vector<std::string>{})
        << "docker run --rm left its container";
}

TEST_F(Docker, AnImageRunsTheProgramAndGoesAway) {
    tt::Root busybox = tt::busybox_root();
    if (busybox.path.empty()) {
        GTEST_SKIP() << busybox.why;
    }
    const std::string& name = image("glibc", busybox);
    tether::Context ctx =
        master_.router.docker({.image = name, .username = "65534", .docker_path = client()});
    EXPECT_EQ(ctx.name(), "docker." + name);
    EXPECT_EQ(ctx.call(tt::add, 2, 3), 5);
    EXPECT_EQ(ctx.call(tt::euid), 65534);
    EXPECT_TRUE(ctx.call(docker_sees, marker())) << "not inside a container of the image";
    EXPECT_NE(ctx.call(docker_pid_namespace), docker_pid_namespace());
    EXPECT_EQ(containers_of(name, false).size(), 1u) << "docker run made no container";
    tether::Context grandchild = master_.router.local({.via = ctx});
    EXPECT_EQ(grandchild.call(tt::add, 20, 22), 42);
    EXPECT_EQ(grandchild.call(tt::euid), 65534);
    grandchild.shutdown(true);
    ctx.shutdown(true);
    EXPECT_THROW(ctx.call(tt::add, 1, 1), tether::ChannelError);
    // shutdown(true) reaped the client, which waits for the removal.
    EXPECT_EQ(containers_of(name, true), std::vector<std::string>{})
        << "docker run --rm left its container";
}
