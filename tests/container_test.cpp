// The container methods against stand-ins of their tools: a script of the
// tool's name checks the exact argv it gets and runs the command in a
// chroot (tests/support/stub_tool.hpp). kubectl and lxc cannot run here (no
// cluster, no LXD), so this is all they get. docker's argv is checked here
// and the real daemon runs it in docker_test.cpp (a dockerd the test
// starts); podman runs for real in podman_test.cpp.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "support/chroot_root.hpp"
#include "support/harness.hpp"
#include "support/stub_tool.hpp"

namespace {

bool path_exists(std::string path) {
    return std::filesystem::exists(path);
}

}  // namespace

TETHER_EXPORT(path_exists);

namespace {

// A file that exists only inside `root`: proof that a context runs there.
std::string mark_inside(const std::string& root) {
    std::string name = "/tmp/tt-inside-" + std::to_string(::getpid()) + "-" +
                       std::to_string(std::random_device{}());
    std::ofstream(root + name) << "x";
    return name;
}

// What every container method must do once started: answer a call from
// inside the root, start a grandchild there, and shut down.
void expect_works_inside(tether::Router& router, tether::Context ctx, const std::string& marker,
                         const std::string& name) {
    EXPECT_EQ(ctx.name(), name);
    EXPECT_EQ(ctx.call(tt::add, 2, 3), 5);
    EXPECT_TRUE(ctx.call(path_exists, marker)) << "not inside the container's root";
    EXPECT_FALSE(path_exists(marker)) << "the marker leaked to the host";
    tether::Context grandchild = router.local({.via = ctx});
    EXPECT_TRUE(tt::contains(grandchild.name(), name + ".local."));
    EXPECT_EQ(grandchild.call(tt::add, 20, 22), 42);
    EXPECT_TRUE(grandchild.call(path_exists, marker));
    grandchild.shutdown(true);
    ctx.shutdown(true);
    EXPECT_THROW(ctx.call(tt::add, 1, 1), tether::ChannelError);
}

class StandIn : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "a chroot for the stand-in needs root";
        }
        root_.emplace();
        marker_ = mark_inside(root_->path());
    }
    void TearDown() override { root_.reset(); }

    tt::Master master_;
    std::optional<tt::ChrootRoot> root_;
    std::string marker_;
};

}  // namespace

TEST_F(StandIn, DockerExecRunsInTheContainer) {
    tt::StubTool docker("docker", root_->path(), {"web"});
    docker.expect({"exec", "--interactive", "web"}, "web");
    tether::Context ctx = master_.router.docker({.container = "web", .docker_path = docker.path()});
    expect_works_inside(master_.router, ctx, marker_, "docker.web");
}

TEST_F(StandIn, DockerRunWithAUserFromAnImage) {
    tt::StubTool docker("docker", root_->path(), {"debian:12"});
    docker.expect({"run", "--interactive", "--rm", "--user=root", "debian:12"}, "debian:12");
    tether::Context ctx = master_.router.docker(
        {.image = "debian:12", .username = "root", .docker_path = docker.path()});
    expect_works_inside(master_.router, ctx, marker_, "docker.debian:12");
}

TEST_F(StandIn, DockerFromInsideAnotherContext) {
    tt::StubTool docker("docker", root_->path(), {"web"});
    docker.expect({"exec", "--interactive", "web"}, "web");
    tether::Context local = master_.router.local();
    tether::Context ctx =
        master_.router.docker({.container = "web", .docker_path = docker.path(), .via = local});
    EXPECT_EQ(ctx.name(), local.name() + ".docker.web");
    EXPECT_EQ(ctx.call(tt::add, 2, 3), 5);
    EXPECT_TRUE(ctx.call(path_exists, marker_));
    ctx.shutdown(true);
    local.shutdown(true);
}

TEST_F(StandIn, DockerNoSuchContainerSaysSo) {
    tt::StubTool docker("docker", root_->path(), {"web"});
    docker.expect({"exec", "--interactive", "nope"}, "nope");
    std::string failure = tt::connect_failure(
        [&] { master_.router.docker({.container = "nope", .docker_path = docker.path()}); });
    EXPECT_TRUE(tt::contains(failure, "docker.nope")) << failure;
    EXPECT_TRUE(tt::contains(failure, "Error response from daemon: No such container: nope"))
        << failure;
}

TEST_F(StandIn, DockerNeedsAContainerOrAnImage) {
    std::string failure = tt::connect_failure([&] { master_.router.docker({}); });
    EXPECT_TRUE(tt::contains(failure, "exactly one of container and image")) << failure;
    failure = tt::connect_failure([&] { master_.router.docker({.container = "-x"}); });
    EXPECT_TRUE(tt::contains(failure, "invalid container '-x'")) << failure;
}

TEST_F(StandIn, KubectlExecRunsInThePod) {
    tt::StubTool kubectl("kubectl", root_->path(), {"api-0"});
    kubectl.expect({"exec", "-i", "api-0", "--"}, "api-0");
    tether::Context ctx = master_.router.kubectl({.pod = "api-0", .kubectl_path = kubectl.path()});
    expect_works_inside(master_.router, ctx, marker_, "kubectl.api-0");
}

TEST_F(StandIn, KubectlEveryOptionInItsPlace) {
    tt::StubTool kubectl("kubectl", root_->path(), {"api-0"});
    kubectl.expect({"--context", "prod", "-n", "shop", "--kubeconfig", "/k", "exec", "-i", "api-0",
                    "-c", "app", "--"},
                   "api-0");
    tether::Context ctx = master_.router.kubectl({.pod = "api-0",
                                                  .container = "app",
                                                  .kube_namespace = "shop",
                                                  .kube_context = "prod",
                                                  .kubectl_path = kubectl.path(),
                                                  .kubectl_args = {"--kubeconfig", "/k"}});
    EXPECT_EQ(ctx.call(tt::add, 2, 3), 5);
    ctx.shutdown(true);
}

TEST_F(StandIn, KubectlNoSuchPodSaysSo) {
    tt::StubTool kubectl("kubectl", root_->path(), {"api-0"});
    kubectl.expect({"exec", "-i", "api-9", "--"}, "api-9");
    std::string failure = tt::connect_failure(
        [&] { master_.router.kubectl({.pod = "api-9", .kubectl_path = kubectl.path()}); });
    EXPECT_TRUE(tt::contains(failure, "kubectl.api-9")) << failure;
    EXPECT_TRUE(tt::contains(failure, "Error from server (NotFound): pods \"api-9\" not found"))
        << failure;
}

TEST_F(StandIn, LxcExecRunsInTheInstance) {
    tt::StubTool lxc("lxc", root_->path(), {"c1"});
    lxc.expect({"exec", "--mode=non-interactive", "c1", "--"}, "c1");
    tether::Context ctx = master_.router.lxc({.container = "c1", .lxc_path = lxc.path()});
    expect_works_inside(master_.router, ctx, marker_, "lxc.c1");
}

TEST_F(StandIn, LxcNoSuchInstanceSaysSo) {
    tt::StubTool lxc("lxc", root_->path(), {"c1"});
    lxc.expect({"exec", "--mode=non-interactive", "c2", "--"}, "c2");
    std::string failure = tt::connect_failure(
        [&] { master_.router.lxc({.container = "c2", .lxc_path = lxc.path()}); });
    EXPECT_TRUE(tt::contains(failure, "lxc.c2")) << failure;
    EXPECT_TRUE(tt::contains(failure, "Error: Instance not found")) << failure;
}

// The stand-in itself fails loudly on an argv it was not told to expect,
// so that the tests above prove the argv.
TEST_F(StandIn, AStandInRefusesAnUnexpectedArgv) {
    tt::StubTool docker("docker", root_->path(), {"web"});
    docker.expect({"exec", "--interactive", "--user=nobody", "web"}, "web");
    std::string failure = tt::connect_failure(
        [&] { master_.router.docker({.container = "web", .docker_path = docker.path()}); });
    EXPECT_TRUE(tt::contains(failure, "stub docker: argument 3 is 'web', expected '--user=nobody'"))
        << failure;
}
