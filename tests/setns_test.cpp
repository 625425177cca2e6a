// The setns method with namespaces the test makes: a named network
// namespace (ip netns add) and a process in namespaces of its own (unshare),
// entered through the real nsenter.
#include <gtest/gtest.h>

#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "support/harness.hpp"
#include "support/namespaces.hpp"

namespace {

// The interfaces of the caller's network namespace.
std::vector<std::string> interfaces() {
    std::vector<std::string> names;
    if (struct if_nameindex* all = ::if_nameindex()) {
        for (struct if_nameindex* i = all; i->if_index != 0; ++i) {
            names.push_back(i->if_name);
        }
        ::if_freenameindex(all);
    }
    return names;
}

std::string host_name() {
    char name[256] = {0};
    ::gethostname(name, sizeof name - 1);
    return name;
}

std::string namespace_of(std::string kind) {
    return std::filesystem::read_symlink("/proc/self/ns/" + kind).string();
}

}  // namespace

TETHER_EXPORT(interfaces);
TETHER_EXPORT(host_name);
TETHER_EXPORT(namespace_of);

namespace {

class Setns : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "entering namespaces needs root";
        }
    }
    tt::Master master_;
    const std::string tag_ = std::to_string(::getpid());
};

}  // namespace

TEST_F(Setns, ANamedNetworkNamespaceShowsOnlyItsInterfaces) {
    const std::string a = "tt-a" + tag_.substr(0, 6), b = "tt-b" + tag_.substr(0, 6);
    tt::NamedNetns ns("tt-setns-" + tag_, a, b);
    tether::Context ctx = master_.router.setns({.net = "tt-setns-" + tag_});
    EXPECT_EQ(ctx.name(), "setns.net.tt-setns-" + tag_);
    std::vector<std::string> seen = ctx.call(interfaces);
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<std::string>{"lo", a, b}));
    EXPECT_NE(ctx.call(namespace_of, std::string("net")), namespace_of("net"));
    EXPECT_EQ(ctx.call(namespace_of, std::string("mnt")), namespace_of("mnt"));
    // A grandchild started there stays there.
    tether::Context grandchild = master_.router.local({.via = ctx});
    EXPECT_EQ(grandchild.call(namespace_of, std::string("net")),
              ctx.call(namespace_of, std::string("net")));
    grandchild.shutdown(true);
    ctx.shutdown(true);
    EXPECT_THROW(ctx.call(tt::add, 1, 1), tether::ChannelError);
}

TEST_F(Setns, AProcessNamespacesHostnameAndPids) {
    tt::UnsharedProcess target("tt-uts-" + tag_);
    tether::Context ctx = master_.router.setns({.pid = target.inner_pid()});
    EXPECT_EQ(ctx.name(), "setns.pid." + std::to_string(target.inner_pid()));
    EXPECT_EQ(ctx.call(host_name), "tt-uts-" + tag_);
    std::string target_ns = "/proc/" + std::to_string(target.inner_pid()) + "/ns/";
    for (std::string kind : {"pid", "mnt", "uts", "ipc", "net"}) {
        EXPECT_EQ(ctx.call(namespace_of, kind),
                  std::filesystem::read_symlink(target_ns + kind).string())
            << kind;
    }
    // Its own pid namespace: sleep is 1 there, nsenter's child comes later,
    // and /proc (mounted by unshare) counts only that namespace.
    EXPECT_LT(ctx.call(tt::pid), 100);
    EXPECT_EQ(ctx.call(tt::add, 2, 3), 5);
    tether::Context grandchild = master_.router.local({.via = ctx});
    EXPECT_EQ(grandchild.call(host_name), "tt-uts-" + tag_);
    grandchild.shutdown(true);
    ctx.shutdown(true);
}

TEST_F(Setns, AsAnotherUserFromInsideAnotherContext) {
    tt::UnsharedProcess target("tt-uts-u" + tag_);
    tether::Context local = master_.router.local();
    tether::Context ctx =
        master_.router.setns({.pid = target.inner_pid(), .username = "nobody", .via = local});
    EXPECT_EQ(ctx.name(), local.name() + ".setns.pid." + std::to_string(target.inner_pid()));
    EXPECT_EQ(ctx.call(tt::euid), 65534);
    EXPECT_EQ(ctx.call(host_name), "tt-uts-u" + tag_);
    ctx.shutdown(true);
    local.shutdown(true);
}

TEST_F(Setns, AMissingNamespaceOrProcessGivesNsentersWords) {
    std::string failure =
        tt::connect_failure([&] { master_.router.setns({.net = "tt-no-such-" + tag_}); });
    EXPECT_TRUE(tt::contains(failure, "setns.net.tt-no-such-" + tag_)) << failure;
    EXPECT_TRUE(tt::contains(failure, "nsenter: cannot open /run/netns/tt-no-such-" + tag_))
        << failure;
    failure = tt::connect_failure([&] { master_.router.setns({.pid = 999999999}); });
    EXPECT_TRUE(tt::contains(failure, "nsenter: ")) << failure;
    failure = tt::connect_failure([&] { master_.router.setns({}); });
    EXPECT_TRUE(tt::contains(failure, "exactly one of pid")) << failure;
}

// The CLI's target syntax reaches the same method: a named namespace, alone
// and behind a local hop.
TEST_F(Setns, TheToolExecsThroughSetnsNet) {
    const std::string a = "tt-c" + tag_.substr(0, 6), b = "tt-d" + tag_.substr(0, 6);
    tt::NamedNetns ns("tt-setns-cli-" + tag_, a, b);
    std::string target = "setns:net=tt-setns-cli-" + tag_;
    std::string command = std::string(TT_TETHER_TOOL) + " exec " + target + ",local/" + target +
                          " -- cat /proc/net/dev 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string out;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
        out.append(buffer, n);
    }
    EXPECT_EQ(::pclose(pipe), 0) << out;
    // /proc/net/dev's lines, each prefixed with its target's name.
    auto has_line = [&out](const std::string& prefix, const std::string& text) {
        std::istringstream lines(out);
        for (std::string line; std::getline(lines, line);) {
            if (line.starts_with(prefix + ": ") && tt::contains(line, text)) {
                return true;
            }
        }
        return false;
    };
    for (const std::string& prefix : {target, "local/" + target}) {
        EXPECT_TRUE(has_line(prefix, " lo:")) << out;
        EXPECT_TRUE(has_line(prefix, a + ":")) << out;
        EXPECT_TRUE(has_line(prefix, b + ":")) << out;
        EXPECT_FALSE(has_line(prefix, "eth0:")) << out;
    }
}
