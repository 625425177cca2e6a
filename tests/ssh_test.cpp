// SSH contexts against a real OpenSSH server on loopback (tests/support/sshd),
// as the throwaway users of the "users" fixture (their shell is /bin/sh) and
// as root.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "parent/program_image.hpp"
#include "support/functions.hpp"
#include "support/harness.hpp"
#include "support/helper_master.hpp"
#include "support/netns_host.hpp"
#include "support/ssh_fixture.hpp"
#include "support/sshd.hpp"
#include "support/users.hpp"

using namespace std::chrono_literals;

namespace {

class Ssh : public tt::SshUsers {
  protected:
    tether::SshOptions to(const std::string& user = "tt_bob") const { return ssh_options(user); }

    std::string name() const {
        return "ssh." + sshd_->address() + ":" + std::to_string(sshd_->port());
    }
};

// A TCP listener that accepts and never says a word; counts connections.
// With `hang_up_at`, once that many are open at once it closes them all.
class SilentListener {
  public:
    explicit SilentListener(std::size_t hang_up_at = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        EXPECT_EQ(::listen(fd_, 64), 0);
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this, hang_up_at] {
            for (;;) {
                int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
                if (c < 0) {
                    return;
                }
                std::lock_guard lock(mutex_);
                accepted_.push_back(c);
                if (hang_up_at != 0 && accepted_.size() >= hang_up_at) {
                    for (int open : accepted_) {
                        ::shutdown(open, SHUT_RDWR);
                    }
                }
                changed_.notify_all();
            }
        });
    }
    ~SilentListener() {
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
        for (int c : accepted_) {
            ::close(c);
        }
    }
    int port() const { return port_; }
    // Waits until `n` connections are open at once (or `limit` passes).
    bool wait_for(std::size_t n, std::chrono::milliseconds limit) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, [&] { return accepted_.size() >= n; });
    }

  private:
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<int> accepted_;
};

}  // namespace

TEST_F(Ssh, ConnectsCallsAndIsNamedForTheHost) {
    tt::Master master;
    tether::Context bob = master.router.ssh(to());
    EXPECT_EQ(bob.name(), name());
    EXPECT_EQ(bob.call(tt::add, 2, 3), 5);
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));
    EXPECT_EQ(bob.call(tt::env_of, std::string("TETHER_BOOT_MARKER")), "");
    // Bytes in both directions, larger than the SSH window and packets.
    std::string big(3 << 20, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4099) {
        big[i] = static_cast<char>(i % 251);
    }
    tether::Blob blob(big);
    EXPECT_EQ(bob.call(tt::echo_blob, blob), blob);
    bob.shutdown(true);
    EXPECT_THROW(bob.call(tt::add, 1, 1), tether::ChannelError);
}

TEST_F(Ssh, TheProgramIsShippedOnceThenReusedFromTheCache) {
    tt::Master master;
    std::string cache = fresh_cache_for("tt_bob", "ssh");
    tt::LogCapture log;
    tether::set_log_level("debug");
    tether::SshOptions options = to();
    options.env = {{"XDG_CACHE_HOME", cache}};
    tether::Context first = master.router.ssh(options);
    tether::Context second = master.router.ssh(options);
    tether::set_log_level("info");
    // Sent gzipped: its length on a line, then the gzip member.
    const tether::detail::ProgramImage& image = tether::detail::this_program();
    ASSERT_TRUE(image.gzip_ready());
    std::size_t gzipped = image.gzipped().size();
    std::size_t sent = std::to_string(gzipped).size() + 1 + gzipped;
    EXPECT_LT(gzipped, image.size);
    EXPECT_EQ(log.count("the program runs (sent " + std::to_string(sent) + " bytes)"), 1u)
        << log.text();
    // Stored as it is, under its own SHA-256.
    EXPECT_EQ(tt::run("sha256sum " + cache + "/tether/" + image.sha256).substr(0, 64),
              image.sha256);
    EXPECT_EQ(log.count("the program runs (cached)"), 1u) << log.text();
    EXPECT_NE(first.call(tt::pid), second.call(tt::pid));
    first.shutdown(true);
    second.shutdown(true);
    std::filesystem::remove_all(cache);
}

TEST_F(Ssh, PasswordAuthenticationRightWrongAndMissing) {
    tt::Master master;
    // The full io log (libssh's own lines included) must not hold either.
    tt::LogCapture log;
    tether::set_log_level("io");
    tether::SshOptions options = to("tt_carol");
    options.identity_file = "/nonexistent/key";
    options.password = tether::Secret(tt::password_of("tt_carol"));
    options.debug = true;
    tether::Context carol = master.router.ssh(options);
    EXPECT_EQ(carol.call(tt::euid), tt::uid_of("tt_carol"));
    carol.shutdown(true);

    options.password = tether::Secret("not-her-password");
    options.connect_timeout = 60s;
    auto start = std::chrono::steady_clock::now();
    try {
        master.router.ssh(options);
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "phase 'auth'")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "authentication as 'tt_carol' failed")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "password (refused)")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "publickey /nonexistent/key (no such file)"))
            << e.what();
        EXPECT_FALSE(tt::contains(e.what(), "not-her-password")) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 30s) << "not prompt";
    tether::set_log_level("info");
    EXPECT_GT(log.count("tether.io"), 0U);
    EXPECT_EQ(log.count(tt::password_of("tt_carol")), 0U);
    EXPECT_EQ(log.count("not-her-password"), 0U);

    // No password, and a key the server does not know: nothing left to try.
    options.password.reset();
    std::string other = tt::temp_path("other-key");
    ASSERT_EQ(std::system(("ssh-keygen -q -t ed25519 -N '' -f " + other).c_str()), 0);
    options.identity_file = other;
    try {
        master.router.ssh(options);
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "publickey " + other + " (refused)")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "the server accepts: publickey, password")) << e.what();
    }
    std::filesystem::remove(other);
    std::filesystem::remove(other + ".pub");
}

TEST_F(Ssh, ABootstrapFailureOnTheHostSaysWhyAndHowTheCommandEnded) {
    tt::Master master;
    std::string cache = fresh_cache_for("tt_bob", "ssh-perm");
    ASSERT_EQ(std::system(("mkdir " + cache + "/tether && chown tt_bob " + cache +
                           "/tether && chmod 777 " + cache + "/tether")
                              .c_str()),
              0);
    tether::SshOptions options = to();
    options.env = {{"XDG_CACHE_HOME", cache}};
    try {
        master.router.ssh(options);
        ADD_FAILURE() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "phase 'bootstrap'")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "refusing cache directory " + cache + "/tether"))
            << e.what();
        // The exit status travels after the output ends; it is waited for.
        EXPECT_TRUE(tt::contains(e.what(), "exited with status 1")) << e.what();
    }
    std::filesystem::remove_all(cache);
}

TEST_F(Ssh, TheAgentsKeysAndCompression) {
    // An ssh-agent holding the client key, and no key file.
    std::string socket = tt::temp_path("agent");
    std::string started = tt::run("ssh-agent -a " + socket + " -s");
    auto at = started.find("SSH_AGENT_PID=");
    ASSERT_NE(at, std::string::npos) << started;
    int agent = std::stoi(started.substr(at + 14));
    ASSERT_EQ(std::system(("SSH_AUTH_SOCK=" + socket + " ssh-add -q " + sshd_->client_key() +
                           " 2>/dev/null")
                              .c_str()),
              0);
    ::setenv("SSH_AUTH_SOCK", socket.c_str(), 1);
    tt::Master master;
    tether::SshOptions options = to();
    options.identity_file = "/nonexistent/key";
    options.use_agent = true;
    options.compression = true;
    tt::LogCapture log;
    tether::set_log_level("debug");
    tether::Context bob = master.router.ssh(options);
    tether::set_log_level("info");
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));
    // Compressed both ways (libssh names what it negotiated).
    EXPECT_TRUE(tt::contains(log.text(), "zlib@openssh.com,zlib@openssh.com")) << log.text();
    tether::Blob zeros(std::string(1 << 20, '\0'));
    EXPECT_EQ(bob.call(tt::echo_blob, zeros), zeros);
    bob.shutdown(true);
    // Without the agent nothing is left to try.
    options.use_agent = false;
    try {
        master.router.ssh(options);
        ADD_FAILURE() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_FALSE(tt::contains(e.what(), "agent")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "publickey /nonexistent/key (no such file)"))
            << e.what();
    }
    ::unsetenv("SSH_AUTH_SOCK");
    ::kill(agent, SIGTERM);
}

TEST_F(Ssh, HostKeysUnknownAcceptedAndChanged) {
    tt::Master master;
    tether::SshOptions options = to();
    options.known_hosts_file = tt::temp_path("known_hosts");
    // Unknown, enforced: refused, with the fingerprint and the file.
    try {
        master.router.ssh(options);
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "is unknown")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), sshd_->fingerprint())) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), options.known_hosts_file)) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(options.known_hosts_file));

    // accept_new records it in OpenSSH's format; enforce then accepts it.
    options.check_host_keys = tether::HostKeyPolicy::accept_new;
    master.router.ssh(options).shutdown(true);
    std::string recorded = tt::run("cat " + options.known_hosts_file);
    EXPECT_TRUE(tt::contains(
        recorded, "[" + sshd_->address() + "]:" + std::to_string(sshd_->port()) + " ssh-ed25519 "))
        << recorded;
    EXPECT_TRUE(tt::contains(
        tt::run("ssh-keygen -F '[" + sshd_->address() + "]:" + std::to_string(sshd_->port()) +
                "' -f " + options.known_hosts_file),
        "ssh-ed25519"));
    options.check_host_keys = tether::HostKeyPolicy::enforce;
    master.router.ssh(options).shutdown(true);

    // Another key on file for this host: changed, refused by enforce and
    // accept_new alike; ignore goes on.
    std::string other = tt::temp_path("other-host-key");
    ASSERT_EQ(std::system(("ssh-keygen -q -t ed25519 -N '' -f " + other).c_str()), 0);
    {
        std::ofstream known(options.known_hosts_file);
        known << "[" << sshd_->address() << "]:" << sshd_->port() << " "
              << tt::run("cat " + other + ".pub");
    }
    for (auto policy : {tether::HostKeyPolicy::enforce, tether::HostKeyPolicy::accept_new}) {
        options.check_host_keys = policy;
        try {
            master.router.ssh(options);
            FAIL() << "no ConnectError";
        } catch (const tether::ConnectError& e) {
            EXPECT_TRUE(tt::contains(e.what(), "has CHANGED")) << e.what();
            EXPECT_TRUE(tt::contains(e.what(), sshd_->fingerprint())) << e.what();
            EXPECT_TRUE(tt::contains(e.what(), options.known_hosts_file)) << e.what();
        }
    }
    options.check_host_keys = tether::HostKeyPolicy::ignore;
    EXPECT_EQ(master.router.ssh(options).call(tt::add, 1, 1), 2);
    std::filesystem::remove(options.known_hosts_file);
    std::filesystem::remove(other);
    std::filesystem::remove(other + ".pub");
}

TEST_F(Ssh, APortWhereNothingListensFailsAtOnce) {
    tt::Master master;
    tether::SshOptions options = to();
    options.port = tt::free_port();
    options.connect_timeout = 60s;
    auto start = std::chrono::steady_clock::now();
    try {
        master.router.ssh(options);
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "phase 'connect'")) << e.what();
        EXPECT_TRUE(tt::contains(e.what(), "Connection refused")) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 30s) << "not prompt";
}

TEST_F(Ssh, AListenerThatNeverSpeaksEndsInTheConnectTimeout) {
    tt::Master master;
    SilentListener silent;
    tether::SshOptions options = to();
    options.port = silent.port();
    options.connect_timeout = 500ms;
    try {
        master.router.ssh(options);
        FAIL() << "no ConnectError";
    } catch (const tether::ConnectError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "connect timeout after 500 ms in phase 'connect'"))
            << e.what();
    }
}

TEST_F(Ssh, StartAllStartsEveryContextAtOnceAndReportsEachFailure) {
    tt::Master master;
    // Three starts that would hang until their timeout: the listener hangs
    // up on them only once all three are connected at the same time, so none
    // waited for another.
    SilentListener silent(3);
    tether::SshOptions hanging = to();
    hanging.port = silent.port();
    hanging.connect_timeout = 60s;
    std::vector<tether::ContextOptions> all = {to(), hanging, hanging, hanging,
                                               tether::LocalOptions{}};
    tether::SshOptions refused = to();
    refused.port = tt::free_port();
    all.push_back(refused);
    std::vector<tether::StartResult> results;
    std::thread starter([&] { results = master.router.start_all(all); });
    EXPECT_TRUE(silent.wait_for(3, 50s)) << "the hanging starts were not all in flight together";
    starter.join();
    ASSERT_EQ(results.size(), all.size());
    ASSERT_TRUE(results[0].ok()) << results[0].error->what();
    EXPECT_EQ(results[0].get().call(tt::add, 1, 2), 3);
    for (int i : {1, 2, 3}) {
        ASSERT_FALSE(results[i].ok());
        EXPECT_TRUE(tt::contains(results[i].error->what(), "phase 'connect'"))
            << results[i].error->what();
    }
    ASSERT_TRUE(results[4].ok());
    EXPECT_EQ(results[4].get().call(tt::add, 2, 2), 4);
    ASSERT_FALSE(results[5].ok());
    EXPECT_TRUE(tt::contains(results[5].error->what(), "Connection refused"))
        << results[5].error->what();
    EXPECT_THROW(results[5].get(), tether::ConnectError);
}

TEST_F(Ssh, KeepalivesNoticeAServerThatStoppedAnswering) {
    tt::Master master;
    tether::SshOptions options = to();
    options.keepalive_interval = 300ms;
    options.keepalive_count = 2;
    tether::Context bob = master.router.ssh(options);
    ASSERT_EQ(bob.call(tt::add, 1, 1), 2);
    // Freeze the processes serving this connection: the kernel still
    // acknowledges every byte, but nothing answers.
    std::vector<pid_t> sessions = sshd_->session_pids();
    ASSERT_FALSE(sessions.empty());
    for (pid_t p : sessions) {
        ::kill(p, SIGSTOP);
    }
    auto waiter = bob.call_async(tt::add, 2, 2);
    auto start = std::chrono::steady_clock::now();
    try {
        waiter.get(20s);
        ADD_FAILURE() << "the call was answered by a frozen server";
    } catch (const tether::ChannelError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "keepalives")) << e.what();
    }
    // Within interval x count and a tick, plus room for a loaded machine
    // (the call itself waits 20 s).
    EXPECT_LT(std::chrono::steady_clock::now() - start, 600ms + 5s);
    for (pid_t p : sessions) {
        ::kill(p, SIGCONT);
    }
}

TEST_F(Ssh, ViaAcrossMethodsAndHosts) {
    tt::Master master;
    // ssh via local.
    tether::Context local = master.router.local();
    tether::SshOptions options = to();
    options.via = local;
    tether::Context bob = master.router.ssh(options);
    EXPECT_EQ(bob.name(), local.name() + "." + name());
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));

    // ssh via ssh: a second connection made from the first host.
    tether::SshOptions second = to("tt_carol");
    second.identity_file.clear();
    second.password = tether::Secret(tt::password_of("tt_carol"));
    second.via = bob;
    tether::Context carol = master.router.ssh(second);
    EXPECT_EQ(carol.name(), bob.name() + "." + name());
    EXPECT_EQ(carol.call(tt::euid), tt::uid_of("tt_carol"));

    // local via ssh.
    tether::Context below = master.router.local({.via = carol});
    EXPECT_EQ(below.call(tt::euid), tt::uid_of("tt_carol"));
    EXPECT_NE(below.call(tt::pid), carol.call(tt::pid));
}

TEST_F(Ssh, SudoViaSshIsNamedForTheChain) {
    tt::Master master;
    tether::Context root = master.router.ssh(to("root"));
    tether::Context sudo = master.router.sudo({.username = "root", .via = root});
    EXPECT_EQ(sudo.name(), name() + ".sudo.root");
    EXPECT_EQ(sudo.call(tt::euid), 0);
    tether::Context bob = master.router.sudo({.username = "tt_bob", .via = root});
    EXPECT_EQ(bob.call(tt::euid), tt::uid_of("tt_bob"));
}

// Run by the next test in a process of its own: a master with an SSH context
// (and one below it), which prints their pids and waits to be killed.
TEST_F(Ssh, DISABLED_HelperMaster) {
    tt::Master master;
    tether::SshOptions options = to();
    options.port = std::stoi(std::getenv("TT_SSH_PORT"));
    options.identity_file = std::getenv("TT_SSH_KEY");
    options.known_hosts_file = std::getenv("TT_SSH_KNOWN_HOSTS");
    tether::Context bob = master.router.ssh(options);
    tether::Context below = master.router.local({.via = bob});
    std::cout << "PIDS " << bob.call(tt::pid) << " " << below.call(tt::pid) << std::endl;
    std::string line;
    std::getline(std::cin, line);
}

TEST_F(Ssh, SigkillOfTheMasterLeavesNothingRunningOnTheTarget) {
    ::setenv("TT_SSH_PORT", std::to_string(sshd_->port()).c_str(), 1);
    ::setenv("TT_SSH_KEY", sshd_->client_key().c_str(), 1);
    ::setenv("TT_SSH_KNOWN_HOSTS", sshd_->known_hosts().c_str(), 1);
    tt::HelperMaster helper("Ssh.DISABLED_HelperMaster");
    std::vector<int> pids = helper.pids();
    ASSERT_EQ(pids.size(), 2u) << "helper output so far: " << helper.output();
    EXPECT_TRUE(tt::process_alive(pids[0]));
    helper.kill();
    EXPECT_TRUE(tt::gone_within(pids[0], 5s)) << "the context over ssh, pid " << pids[0];
    EXPECT_TRUE(tt::gone_within(pids[1], 5s)) << "its child, pid " << pids[1];
    // And the server's side of the connection is gone too.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!sshd_->session_pids().empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(sshd_->session_pids().empty()) << sshd_->log();
}

namespace {

// Three "hosts": network namespaces joined to this one by veth pairs
// (10.231.<n>.1 here, 10.231.<n>.2 there), each with its own sshd.
class SshHosts : public tt::Users {
  protected:
    static constexpr int kHosts = 3;

    void SetUp() override {
        tt::Users::SetUp();
        if (IsSkipped() || HasFailure()) {
            return;
        }
        std::string missing = tt::Sshd::missing();
        if (missing.empty() && ::access("/usr/sbin/ip", X_OK) != 0) {
            missing = "ip (iproute2) is not installed";
        }
        if (missing.empty() && std::system("ip netns add tt-probe && ip netns del tt-probe") != 0) {
            missing = "cannot make network namespaces here";
        }
        tt::require("the multi-host SSH test", missing);
        if (IsSkipped() || HasFailure()) {
            return;
        }
        // This namespace routes between the hosts (ssh via ssh). Each part
        // undoes itself, so a setup that fails half-way leaves nothing.
        forwarding_.emplace();
        for (int n = 1; n <= kHosts; ++n) {
            std::string i = std::to_string(n);
            hosts_.push_back(std::make_unique<tt::NetnsHost>(tt::NetnsHostOptions{
                .ns = "tt-ns" + i,
                .link = "tt-v" + i + "a",
                .subnet = "10.231." + i,
                .default_route = true,
            }));
        }
    }

    void TearDown() override {
        hosts_.clear();
        forwarding_.reset();
    }

    tether::SshOptions to(int n) const {
        const tt::Sshd& host = hosts_[static_cast<std::size_t>(n)]->sshd();
        return {.hostname = host.address(),
                .port = host.port(),
                .username = "tt_bob",
                .identity_file = host.client_key(),
                .known_hosts_file = host.known_hosts(),
                .keepalive_interval = 300ms,
                .keepalive_count = 2,
                .use_agent = false};
    }

    std::optional<tt::IpForwarding> forwarding_;  // declared first: outlives the hosts
    std::vector<std::unique_ptr<tt::NetnsHost>> hosts_;
};

}  // namespace

TEST_F(SshHosts, FanOutWithSelectAndACutLinkFailsOnlyThatHost) {
    tt::Master master;
    std::vector<tether::ContextOptions> options;
    for (int n = 0; n < kHosts; ++n) {
        options.push_back(to(n));
    }
    std::vector<tether::Context> contexts;
    for (auto& result : master.router.start_all(options)) {
        ASSERT_TRUE(result.ok()) << result.error->what();
        contexts.push_back(result.get());
    }
    // One call to every host, answered through one Select.
    {
        std::vector<tether::Receiver<int>> calls;
        for (int n = 0; n < kHosts; ++n) {
            calls.push_back(contexts[static_cast<std::size_t>(n)].call_async(tt::add, n, 100));
        }
        tether::Select<int> select(calls);
        std::set<int> answers;
        while (!select.empty()) {
            answers.insert(select.get(20s).value());
        }
        EXPECT_EQ(answers, (std::set<int>{100, 101, 102}));
    }
    // Calls in flight everywhere; then the second host's link goes down.
    std::vector<tether::Receiver<int>> calls;
    for (auto& context : contexts) {
        calls.push_back(context.call_async(tt::sleep_ms, 2000));
    }
    ASSERT_EQ(std::system("ip link set tt-v2a down"), 0);
    tether::Select<int> select(calls);
    std::map<std::string, std::string> outcome;
    while (!select.empty()) {
        auto done = select.get(30s);
        try {
            outcome[done.context().name()] = std::to_string(done.value());
        } catch (const tether::ChannelError& e) {
            outcome[done.context().name()] = std::string("lost: ") + e.what();
        }
    }
    ASSERT_EQ(outcome.size(), 3u);
    EXPECT_EQ(outcome[contexts[0].name()], "2000");
    EXPECT_TRUE(tt::contains(outcome[contexts[1].name()], "lost: ")) << outcome[contexts[1].name()];
    EXPECT_TRUE(tt::contains(outcome[contexts[1].name()], "keepalives"))
        << outcome[contexts[1].name()];
    EXPECT_EQ(outcome[contexts[2].name()], "2000");
    // The others carry on.
    EXPECT_EQ(contexts[0].call(tt::add, 1, 1), 2);
    EXPECT_EQ(contexts[2].call(tt::add, 2, 2), 4);
    EXPECT_THROW(contexts[1].call(tt::add, 3, 3), tether::ChannelError);
}

TEST_F(SshHosts, ASecondHostReachedThroughTheFirst) {
    tt::Master master;
    tether::Context first = master.router.ssh(to(0));
    // tt_bob cannot read root's key file: the second hop uses his password.
    tether::SshOptions options = to(1);
    options.identity_file.clear();
    options.password = tether::Secret(tt::password_of("tt_bob"));
    options.via = first;
    tether::Context second = master.router.ssh(options);
    EXPECT_EQ(second.name(), first.name() + ".ssh.10.231.2.2:22");
    EXPECT_EQ(second.call(tt::euid), tt::uid_of("tt_bob"));
    EXPECT_NE(second.call(tt::pid), first.call(tt::pid));
    // The second server saw the connection come from the first host.
    EXPECT_TRUE(tt::contains(hosts_[1]->sshd().log(), "Connection from 10.231.1.2 "))
        << hosts_[1]->sshd().log();
}

// The fixtures' own parts undo what they made when a later step fails: a
// namespace whose link cannot be made is removed again, and an sshd that
// never listens leaves no process (the per-test leak check counts children:
// the sshd and the cat that drains its output).
TEST_F(SshHosts, AHostWhoseSetupFailsPartWayLeavesNothingBehind) {
    EXPECT_THROW(tt::NetnsHost({.ns = "tt-nsfail",
                                .link = "tt-this-name-is-too-long-for-a-link",
                                .subnet = "10.231.9"}),
                 std::runtime_error);
    EXPECT_FALSE(tt::contains(tt::run("ip netns list"), "tt-nsfail"));
    EXPECT_THROW(tt::Sshd({.config = {"NoSuchOption yes"}}), std::runtime_error);
}
