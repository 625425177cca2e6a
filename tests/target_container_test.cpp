// The target syntax of the container and namespace methods, parsed and
// written back, and what the tool starts for each hop.
#include <gtest/gtest.h>

#include "tools/inventory.hpp"
#include "tools/target.hpp"

namespace cli = tether::cli;

TEST(ContainerTargets, EachMethodParsesAndWritesBack) {
    cli::Hop docker = cli::parse_target("docker:web-1").hops.at(0);
    EXPECT_EQ(docker.method, cli::Method::docker);
    EXPECT_EQ(docker.container, "web-1");
    EXPECT_EQ(cli::parse_target("podman:db").hops.at(0).method, cli::Method::podman);
    EXPECT_EQ(cli::parse_target("lxc:c1").hops.at(0).container, "c1");

    cli::Hop pod = cli::parse_target("kubectl:shop/api-0:app").hops.at(0);
    EXPECT_EQ(pod.method, cli::Method::kubectl);
    EXPECT_EQ(pod.kube_namespace, "shop");
    EXPECT_EQ(pod.pod, "api-0");
    EXPECT_EQ(pod.container, "app");
    cli::Hop bare = cli::parse_target("kubectl:api-0").hops.at(0);
    EXPECT_EQ(bare.pod, "api-0");
    EXPECT_TRUE(bare.kube_namespace.empty());
    EXPECT_TRUE(bare.container.empty());

    EXPECT_EQ(cli::parse_target("setns:pid=1234").hops.at(0).pid, 1234);
    EXPECT_EQ(cli::parse_target("setns:net=blue").hops.at(0).netns, "blue");

    // Built from the fields, each writes itself as it is written.
    for (const char* spec : {"docker:web-1", "podman:db", "lxc:c1", "kubectl:shop/api-0:app",
                             "kubectl:api-0", "setns:pid=1234", "setns:net=blue"}) {
        cli::Hop hop = cli::parse_target(spec).hops.at(0);
        hop.text.clear();
        EXPECT_EQ(hop.spec(), spec);
    }
}

TEST(ContainerTargets, AKubectlNamespaceKeepsItsPodAndChainsStillSplit) {
    cli::Target t = cli::parse_target("ssh:web1/kubectl:shop/api-0:app/sudo:root");
    ASSERT_EQ(t.hops.size(), 3u);
    EXPECT_EQ(t.hops[1].pod, "api-0");
    EXPECT_EQ(t.hops[1].text, "kubectl:shop/api-0:app");
    EXPECT_EQ(t.hops[2].method, cli::Method::sudo);
    // A segment starting with a method's name is the next hop, not a pod.
    cli::Target chained = cli::parse_target("kubectl:api-0/setns:net=blue");
    ASSERT_EQ(chained.hops.size(), 2u);
    EXPECT_EQ(chained.hops[0].pod, "api-0");
    EXPECT_EQ(chained.hops[1].netns, "blue");
    EXPECT_EQ(cli::split_hops("kubectl:ns/pod/local"),
              (std::vector<std::string>{"kubectl:ns/pod", "local"}));
    // And through the inventory's resolution, which splits hops the same way.
    auto targets =
        cli::resolve_targets({"kubectl:shop/api-0,docker:web"}, cli::Inventory::parse("", "inv"));
    ASSERT_EQ(targets.size(), 2u);
    EXPECT_EQ(targets[0].hops.at(0).pod, "api-0");
    EXPECT_EQ(targets[1].hops.at(0).container, "web");
}

TEST(ContainerTargets, MistakesSayWhatIsWrong) {
    auto why = [](const char* spec) {
        try {
            cli::parse_target(spec);
        } catch (const cli::UsageError& e) {
            return std::string(e.what());
        }
        return std::string("(accepted)");
    };
    EXPECT_NE(why("docker:").find("no container"), std::string::npos) << why("docker:");
    EXPECT_NE(why("docker:a:b").find("'a:b' is not a container"), std::string::npos);
    EXPECT_NE(why("kubectl:").find("no pod"), std::string::npos);
    EXPECT_NE(why("kubectl:ns/").find("no pod"), std::string::npos);
    EXPECT_NE(why("setns:1234").find("setns takes pid=PID or net=NAME"), std::string::npos);
    EXPECT_NE(why("setns:pid=x").find("'x' is not a process id"), std::string::npos);
    EXPECT_NE(why("setns:pid=0").find("'0' is not a process id"), std::string::npos);
    EXPECT_NE(why("lxc:-x").find("is not a container"), std::string::npos);
}
