// tether's own reading of ProxyJump (transports/ssh/ssh_proxy_jump): the
// entries of its value, and which line applies to a host, on config files the
// test writes. No server needed.
#include "transports/ssh/ssh_proxy_jump.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "support/functions.hpp"
#include "support/harness.hpp"
#include "tether/errors.hpp"

namespace {

using tether::detail::ConfigFacts;
using tether::detail::ConfigFile;
using tether::detail::find_proxy_setting;
using tether::detail::parse_proxy_jump;

// A directory of config files for one test, removed after it.
class ProxyJumpConfig : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = tt::temp_path("ssh-config-dir");
        std::filesystem::create_directories(dir_ + "/.ssh/conf.d");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        std::string path = dir_ + "/" + name;
        std::ofstream(path) << text;
        return path;
    }

    // The ProxyJump/ProxyCommand value for `host` in `file`, or "-".
    std::string proxy(const std::string& file, const std::string& host,
                      const std::string& user = "deploy") {
        ConfigFacts facts{host, host + ".example", user, "me", dir_};
        auto found = find_proxy_setting({ConfigFile{dir_ + "/" + file}}, facts);
        return found ? found->keyword + " " + found->value : "-";
    }

    std::string dir_;
};

}  // namespace

TEST(ProxyJump, EntriesWithUsersPortsUrisAndIpv6) {
    auto hops = parse_proxy_jump("bastion,deploy@gw:2222,ssh://root@[::1]:22,[fe80::1]");
    ASSERT_EQ(hops.size(), 4u);
    EXPECT_EQ(hops[0].host, "bastion");
    EXPECT_EQ(hops[0].user, "");
    EXPECT_FALSE(hops[0].port);
    EXPECT_EQ(hops[1].user, "deploy");
    EXPECT_EQ(hops[1].host, "gw");
    EXPECT_EQ(hops[1].port, 2222);
    EXPECT_EQ(hops[2].user, "root");
    EXPECT_EQ(hops[2].host, "::1");
    EXPECT_EQ(hops[2].port, 22);
    EXPECT_EQ(hops[3].host, "fe80::1");
    EXPECT_FALSE(hops[3].port);
    EXPECT_EQ(hops[1].text, "deploy@gw:2222");
    EXPECT_TRUE(parse_proxy_jump("none").empty());
    EXPECT_TRUE(parse_proxy_jump("None").empty());
}

TEST(ProxyJump, AnEntryItCannotReadIsNamed) {
    for (const char* bad : {"gw:port", "gw:0", "gw:", "@gw", "a,,b", "[::1", "[::1]x"}) {
        try {
            parse_proxy_jump(bad);
            ADD_FAILURE() << bad << " was accepted";
        } catch (const tether::Error& e) {
            EXPECT_TRUE(tt::contains(e.what(), "ProxyJump entry '")) << e.what();
        }
    }
}

TEST_F(ProxyJumpConfig, TheFirstLineThatAppliesWinsAsInOpenSsh) {
    write("config",
          "# comment\n"
          "Host web* !web9\n"
          "    ProxyJump bastion\n"
          "Host db1 db2\n"
          "    ProxyJump=deploy@gw:2222,gw2\n"
          "Host legacy\n"
          "    ProxyCommand nc %h %p\n"
          "    ProxyJump ignored\n"
          "Host WEB2\n"
          "    ProxyJump too-late\n"
          "Match originalhost direct\n"
          "    ProxyJump none\n"
          "Match host *.example user ops\n"
          "    ProxyJump ops-gw\n"
          "Match exec \"true\"\n"
          "    ProxyJump never\n"
          "Host *\n"
          "    ProxyJump \"default gw\"\n");
    EXPECT_EQ(proxy("config", "web1"), "proxyjump bastion");
    EXPECT_EQ(proxy("config", "WEB2"), "proxyjump bastion");  // host names fold case
    EXPECT_EQ(proxy("config", "web9"), "proxyjump default gw");
    EXPECT_EQ(proxy("config", "db2"), "proxyjump deploy@gw:2222,gw2");
    EXPECT_EQ(proxy("config", "legacy"), "proxycommand nc %h %p");
    EXPECT_EQ(proxy("config", "direct"), "proxyjump none");
    EXPECT_EQ(proxy("config", "app", "ops"), "proxyjump ops-gw");
    EXPECT_EQ(proxy("config", "app"), "proxyjump default gw");
    EXPECT_EQ(proxy("missing", "web1"), "-");
}

TEST_F(ProxyJumpConfig, IncludesAreFollowedWhereTheyApply) {
    write(".ssh/conf.d/a.conf", "Host web1\n  ProxyJump from-include\n");
    write(".ssh/conf.d/b.conf", "ProxyJump inside-db-block\n");
    write("config",
          "Include conf.d/a.conf\n"
          "Host db\n"
          "  Include ~/.ssh/conf.d/b*.conf\n"
          "Host other\n"
          "  ProxyJump other-gw\n");
    EXPECT_EQ(proxy("config", "web1"), "proxyjump from-include");
    EXPECT_EQ(proxy("config", "db"), "proxyjump inside-db-block");
    EXPECT_EQ(proxy("config", "other"), "proxyjump other-gw");
    EXPECT_EQ(proxy("config", "none-of-them"), "-");
}
