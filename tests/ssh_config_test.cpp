// SshOptions read through an OpenSSH client config written by the test (its
// HostName, Port, User, IdentityFile, UserKnownHostsFile and ProxyJump point
// at the tests' own sshd servers on loopback), and what turns it off.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "support/functions.hpp"
#include "support/harness.hpp"
#include "support/ssh_fixture.hpp"
#include "support/sshd.hpp"

using namespace std::chrono_literals;

namespace {

class SshConfig : public tt::SshUsers {
  protected:
    void TearDown() override {
        if (!config_.empty()) {
            ::unlink(config_.c_str());
        }
        tt::SshUsers::TearDown();
    }

    // A config file with `text`; its path.
    const std::string& write_config(const std::string& text) {
        config_ = tt::temp_path("ssh_config");
        std::ofstream(config_) << text;
        return config_;
    }

    // A Host block that reaches `sshd` as `user` with its key.
    static std::string host_block(const std::string& alias, const tt::Sshd& sshd,
                                  const std::string& user) {
        return "Host " + alias + "\n    HostName " + sshd.address() + "\n    Port " +
               std::to_string(sshd.port()) + "\n    User " + user + "\n    IdentityFile " +
               sshd.client_key() + "\n    UserKnownHostsFile " + sshd.known_hosts() + "\n";
    }

    std::string port() const { return std::to_string(sshd_->port()); }

    std::string config_;
};

// What a failed start says, or "(no ConnectError)".
std::string connect_failure(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const tether::ConnectError& e) {
        return e.context_name() + ": " + e.reason();
    }
    return "(no ConnectError)";
}

}  // namespace

TEST_F(SshConfig, AnAliasTakesHostNamePortUserIdentityFileAndKnownHosts) {
    tt::Master master;
    write_config("# the test's sshd\n" + host_block("web1", *sshd_, "tt_bob"));
    tether::Context web1 =
        master.router.ssh({.hostname = "web1", .use_agent = false, .config_file = config_});
    // Named for the alias as written, with the port the config gave.
    EXPECT_EQ(web1.name(), "ssh.web1:" + port());
    EXPECT_EQ(web1.call(tt::euid), tt::uid_of("tt_bob"));
    EXPECT_TRUE(tt::contains(sshd_->log(), "Accepted publickey for tt_bob")) << sshd_->log();
}

TEST_F(SshConfig, ExplicitOptionsWinOverTheConfig) {
    tt::Master master;
    // The config's port has no server and its key file does not exist: the
    // options given instead are what is used.
    write_config("Host web1\n  HostName 127.0.0.1\n  Port " + std::to_string(tt::free_port()) +
                 "\n  User tt_bob\n  IdentityFile /nonexistent/key\n");
    tether::Context carol = master.router.ssh({.hostname = "web1",
                                               .port = sshd_->port(),
                                               .username = "tt_carol",
                                               .identity_file = sshd_->client_key(),
                                               .known_hosts_file = sshd_->known_hosts(),
                                               .use_agent = false,
                                               .config_file = config_,
                                               .name = "carol"});
    EXPECT_EQ(carol.name(), "carol");
    EXPECT_EQ(carol.call(tt::euid), tt::uid_of("tt_carol"));
}

TEST_F(SshConfig, UseConfigFalseReadsNoConfig) {
    tt::Master master;
    // For the address itself the config says: log in as tt_carol.
    write_config("Host " + sshd_->address() + "\n  User tt_carol\n");
    tether::SshOptions options = ssh_options();
    options.username.clear();
    options.config_file = config_;
    tether::Context with = master.router.ssh(options);
    EXPECT_EQ(with.call(tt::euid), tt::uid_of("tt_carol"));
    options.use_config = false;  // the login is then this process's user, root
    tether::Context without = master.router.ssh(options);
    EXPECT_EQ(without.call(tt::euid), 0);
    // And an alias means nothing without the config.
    write_config(host_block("web1", *sshd_, "tt_bob"));
    std::string failure = connect_failure([&] {
        master.router.ssh({.hostname = "web1", .use_config = false, .connect_timeout = 10s});
    });
    EXPECT_TRUE(tt::contains(failure, "ssh.web1:22: phase 'connect'")) << failure;
}

TEST_F(SshConfig, ALineLibsshCannotParseIsAConnectErrorInItsWords) {
    tt::Master master;
    write_config(host_block("web1", *sshd_, "tt_bob") + "Match bogus\n");
    std::string failure =
        connect_failure([&] { master.router.ssh({.hostname = "web1", .config_file = config_}); });
    EXPECT_TRUE(tt::contains(failure, "ssh.web1:22: phase 'config': ssh: libssh cannot parse " +
                                          config_ +
                                          ": ERROR - Unknown argument 'bogus' for "
                                          "Match keyword"))
        << failure;
    // A config file that is not there is a mistake too when it is named.
    failure = connect_failure(
        [&] { master.router.ssh({.hostname = "web1", .config_file = "/nonexistent/ssh_config"}); });
    EXPECT_TRUE(tt::contains(failure, "cannot read the config file /nonexistent/ssh_config"))
        << failure;
}

TEST_F(SshConfig, AProxyCommandIsRefusedNotRun) {
    tt::Master master;
    std::string marker = tt::temp_path("proxy-command-ran");
    write_config(host_block("web1", *sshd_, "tt_bob") + "    ProxyCommand touch " + marker + "\n");
    std::string failure =
        connect_failure([&] { master.router.ssh({.hostname = "web1", .config_file = config_}); });
    EXPECT_TRUE(tt::contains(failure, config_ + ":7 gives 'web1' a ProxyCommand (touch " + marker +
                                          "), which tether does not run"))
        << failure;
    EXPECT_NE(::access(marker.c_str(), F_OK), 0);
}

// ProxyJump through a second sshd: the jump host runs tether too, and the
// target's connection is made from there, so the chain shows in the name and
// both servers saw a login.
TEST_F(SshConfig, ProxyJumpStartsTheTargetThroughAJumpContext) {
    tt::Sshd target;  // declared first: outlives the contexts
    tt::Master master;
    const std::string jump_port = port(), target_port = std::to_string(target.port());
    write_config(host_block("jump", *sshd_, "root") + host_block("target", target, "tt_bob") +
                 "    ProxyJump jump\n" + host_block("far", target, "tt_carol") +
                 "    ProxyJump jump,root@jump\n");
    tether::Context t = master.router.ssh({.hostname = "target", .config_file = config_});
    EXPECT_EQ(t.name(), "ssh.jump:" + jump_port + ".ssh.target:" + target_port);
    EXPECT_EQ(t.call(tt::euid), tt::uid_of("tt_bob"));
    EXPECT_TRUE(tt::contains(sshd_->log(), "Accepted publickey for root")) << sshd_->log();
    EXPECT_TRUE(tt::contains(target.log(), "Accepted publickey for tt_bob")) << target.log();

    // Two hops (the second written user@host), then the target.
    tether::Context far = master.router.ssh({.hostname = "far", .config_file = config_});
    EXPECT_EQ(far.name(),
              "ssh.jump:" + jump_port + ".ssh.jump:" + jump_port + ".ssh.far:" + target_port);
    EXPECT_EQ(far.call(tt::euid), tt::uid_of("tt_carol"));

    // An explicit `via` wins over ProxyJump.
    tether::Context local = master.router.local();
    tether::Context via_local =
        master.router.ssh({.hostname = "target", .config_file = config_, .via = local});
    EXPECT_EQ(via_local.name(), local.name() + ".ssh.target:" + target_port);
    EXPECT_EQ(via_local.call(tt::euid), tt::uid_of("tt_bob"));
}

TEST_F(SshConfig, AJumpHostThatCannotBeReachedFailsTheTargetSayingWhich) {
    tt::Master master;
    write_config("Host dead\n  HostName 127.0.0.1\n  Port " + std::to_string(tt::free_port()) +
                 "\n" + host_block("target", *sshd_, "tt_bob") + "  ProxyJump dead\n");
    std::string failure =
        connect_failure([&] { master.router.ssh({.hostname = "target", .config_file = config_}); });
    EXPECT_TRUE(tt::contains(failure, "ssh.target:" + port() + ": ProxyJump dead (ssh.dead:"))
        << failure;
    EXPECT_TRUE(tt::contains(failure, "phase 'connect'")) << failure;
}
