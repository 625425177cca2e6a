// The `tether` command-line tool: its parsers directly, and the tool itself
// run as a process against local, sudo and SSH targets (a real sshd on
// loopback, the throwaway users, network namespaces for several hosts).
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "support/functions.hpp"
#include "support/harness.hpp"
#include "support/netns_host.hpp"
#include "support/ssh_fixture.hpp"
#include "support/sshd.hpp"
#include "support/users.hpp"
#include "tools/command_line.hpp"
#include "tools/inventory.hpp"
#include "tools/target.hpp"

extern char** environ;

using namespace std::chrono_literals;
namespace cli = tether::cli;

namespace {

// --- the parsers --------------------------------------------------------------

TEST(CliTargets, EveryMethodAndChains) {
    cli::Target t = cli::parse_target("ssh:deploy@web1:2222/sudo:root");
    ASSERT_EQ(t.hops.size(), 2u);
    EXPECT_EQ(t.hops[0].method, cli::Method::ssh);
    EXPECT_EQ(t.hops[0].user, "deploy");
    EXPECT_EQ(t.hops[0].host, "web1");
    EXPECT_EQ(t.hops[0].port, 2222);
    EXPECT_EQ(t.hops[1].method, cli::Method::sudo);
    EXPECT_EQ(t.hops[1].user, "root");
    EXPECT_EQ(t.prefix(1), "ssh:deploy@web1:2222");
    EXPECT_EQ(t.prefix(2), "ssh:deploy@web1:2222/sudo:root");

    EXPECT_EQ(cli::parse_target("local").hops[0].method, cli::Method::local);
    EXPECT_EQ(cli::parse_target("su:tt_bob").hops[0].user, "tt_bob");
    EXPECT_EQ(cli::parse_target("sudo").hops[0].user, "root");
    cli::Hop v6 = cli::parse_target("ssh:[::1]:22").hops[0];
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.spec(), "ssh:[::1]:22");
    EXPECT_FALSE(cli::parse_target("ssh:h").hops[0].port.has_value());
    cli::Target forks = cli::parse_target("fork/fork");
    ASSERT_EQ(forks.hops.size(), 2u);
    EXPECT_EQ(forks.hops[1].method, cli::Method::fork);
    EXPECT_EQ(forks.prefix(2), "fork/fork");

    // A hop that is no method is a host: ssh.
    cli::Target bare = cli::parse_target("deploy@web1:2222/web2/[::1]:22/sudo");
    ASSERT_EQ(bare.hops.size(), 4u);
    EXPECT_EQ(bare.hops[0].method, cli::Method::ssh);
    EXPECT_EQ(bare.hops[0].user, "deploy");
    EXPECT_EQ(bare.hops[0].host, "web1");
    EXPECT_EQ(bare.hops[0].port, 2222);
    EXPECT_EQ(bare.hops[1].method, cli::Method::ssh);
    EXPECT_EQ(bare.hops[1].host, "web2");
    EXPECT_FALSE(bare.hops[1].port.has_value());
    EXPECT_EQ(bare.hops[2].host, "::1");
    EXPECT_EQ(bare.hops[3].method, cli::Method::sudo);
    EXPECT_EQ(bare.prefix(2), "deploy@web1:2222/web2");
}

TEST(CliTargets, BadSyntaxSaysWhatIsWrongAndWhatIsExpected) {
    auto why = [](const std::string& spec) {
        try {
            cli::parse_target(spec);
        } catch (const cli::UsageError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_TRUE(tt::contains(why("foo:bar"), "no method 'foo'")) << why("foo:bar");
    EXPECT_TRUE(tt::contains(why("foo:bar"), "ssh:[USER@]HOST[:PORT]"));
    EXPECT_TRUE(tt::contains(why("ssh:"), "ssh needs a host"));
    EXPECT_TRUE(tt::contains(why("ssh:h:99999"), "1 to 65535")) << why("ssh:h:99999");
    EXPECT_TRUE(tt::contains(why("ssh:h:22x"), "'22x'"));
    EXPECT_TRUE(tt::contains(why("sudo:a b"), "not a user name"));
    EXPECT_TRUE(tt::contains(why("local//local"), "an empty hop"));
    EXPECT_TRUE(tt::contains(why("local:x"), "takes nothing"));
    EXPECT_TRUE(tt::contains(why("ssh:[::1"), "unterminated"));
}

TEST(CliInventory, GroupsHostOptionsAndResolution) {
    cli::Inventory inv = cli::Inventory::parse(
        "# fleet\n"
        "[web]\n"
        "web1 host=10.0.0.5 port=2222 user=deploy identity=/k1\n"
        "web2   # by its own name\n"
        "\n"
        "[db]  # the databases\n"
        "web2\n"
        "db1 host=10.0.0.9\n"
        "[local]\n"
        "local\n"
        "sudo:tt_bob # any target\n",
        "inv");
    ASSERT_NE(inv.group("web"), nullptr);
    EXPECT_EQ(*inv.group("web"), (std::vector<std::string>{"web1", "web2"}));
    EXPECT_EQ(*inv.group("all"),
              (std::vector<std::string>{"web1", "web2", "db1", "local", "sudo:tt_bob"}));
    auto targets = cli::resolve_targets({"@web,@db", "web1/sudo:root", "@local"}, inv);
    std::vector<std::string> names;
    for (auto& t : targets) {
        names.push_back(t.name);
    }
    // web2 is in both groups and runs once; web1 written twice is kept.
    EXPECT_EQ(names, (std::vector<std::string>{"web1", "web2", "db1", "web1/sudo:root", "local",
                                               "sudo:tt_bob"}));
    const cli::Hop& web1 = targets[0].hops[0];
    EXPECT_EQ(web1.method, cli::Method::ssh);
    EXPECT_EQ(web1.host, "10.0.0.5");
    EXPECT_EQ(web1.port, 2222);
    EXPECT_EQ(web1.user, "deploy");
    EXPECT_EQ(web1.identity_file, "/k1");
    EXPECT_EQ(web1.alias, "web1");
    EXPECT_EQ(targets[1].hops[0].host, "web2");
    EXPECT_EQ(targets[3].hops.size(), 2u);
    // What the command line says wins over the inventory.
    auto explicit_user = cli::resolve_targets({"ssh:root@web1:22"}, inv);
    EXPECT_EQ(explicit_user[0].hops[0].user, "root");
    EXPECT_EQ(explicit_user[0].hops[0].port, 22);
    EXPECT_EQ(explicit_user[0].hops[0].host, "10.0.0.5");
    // Plain duplicates stay, numbered.
    auto twice = cli::resolve_targets({"local,local"}, inv);
    EXPECT_EQ(twice[1].name, "local#2");
    EXPECT_NE(twice[0].prefix(1), twice[1].prefix(1)) << "their own contexts";
}

TEST(CliInventory, MistakesNameTheFileAndLine) {
    auto why = [](const std::string& text) {
        try {
            cli::Inventory::parse(text, "hosts.txt");
        } catch (const cli::UsageError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_EQ(why("[web]\nweb1 colour=blue\n"),
              "hosts.txt:2: unknown host option 'colour' (host, port, user, identity)");
    EXPECT_TRUE(tt::contains(why("web1 port=0\n"), "hosts.txt:1: port '0'"));
    EXPECT_TRUE(tt::contains(why("[web\n"), "hosts.txt:1: a group header"));
    EXPECT_TRUE(tt::contains(why("\n\nfoo:bar\n"), "hosts.txt:3")) << why("\n\nfoo:bar\n");
    EXPECT_TRUE(tt::contains(why("web1 user\n"), "expected KEY=VALUE"));
    cli::Inventory empty;
    try {
        cli::resolve_targets({"@web"}, empty);
        FAIL() << "no UsageError";
    } catch (const cli::UsageError& e) {
        EXPECT_TRUE(tt::contains(e.what(), "no group 'web'")) << e.what();
    }
    // A name the inventory does not have is a host name, for ssh.
    auto bare = cli::resolve_targets({"web9"}, empty);
    EXPECT_EQ(bare[0].hops[0].method, cli::Method::ssh);
    EXPECT_EQ(bare[0].hops[0].host, "web9");
    EXPECT_EQ(bare[0].hops[0].alias, "");
}

TEST(CliCommandLine, OptionsAndMistakes) {
    auto parse = [](std::vector<std::string> words) {
        words.insert(words.begin(), "tether");
        std::vector<char*> argv;
        for (auto& w : words) {
            argv.push_back(w.data());
        }
        return cli::parse_command_line(static_cast<int>(argv.size()), argv.data());
    };
    cli::CommandLine cl = parse({"-f", "3", "exec", "--connect-timeout=2.5", "local", "sudo:x",
                                 "--host-keys", "accept-new", "-vv", "--", "ls", "-l"});
    EXPECT_EQ(cl.command, "exec");
    EXPECT_EQ(cl.forks, 3u);
    EXPECT_EQ(cl.connect.connect_timeout, 2500ms);
    EXPECT_EQ(cl.connect.host_keys, tether::HostKeyPolicy::accept_new);
    EXPECT_EQ(cl.verbose, 2);
    EXPECT_EQ(cl.targets, (std::vector<std::string>{"local", "sudo:x"}));
    EXPECT_EQ(cl.argv, (std::vector<std::string>{"ls", "-l"}));
    cli::CommandLine copy = parse({"copy", "/etc/hosts", "local:/tmp/h"});
    EXPECT_EQ(copy.source, "/etc/hosts");
    EXPECT_EQ(copy.targets, (std::vector<std::string>{"local:/tmp/h"}));
    EXPECT_TRUE(cl.connect.use_ssh_config);
    cli::CommandLine config = parse({"-F", "/c", "ping", "web1"});
    EXPECT_EQ(config.connect.ssh_config, "/c");
    EXPECT_FALSE(parse({"--no-ssh-config", "ping", "web1"}).connect.use_ssh_config);

    auto why = [&](std::vector<std::string> words) {
        try {
            parse(std::move(words));
        } catch (const cli::UsageError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_TRUE(tt::contains(why({"exec", "local"}), "after '--'"));
    EXPECT_TRUE(tt::contains(why({"frob", "local"}), "unknown command 'frob'"));
    EXPECT_TRUE(tt::contains(why({"ping"}), "at least one target"));
    EXPECT_TRUE(tt::contains(why({"--forks", "0", "ping", "local"}), "--forks"));
    EXPECT_TRUE(tt::contains(why({"--host-keys", "maybe", "ping", "local"}), "accept-new"));
    EXPECT_TRUE(tt::contains(why({"--password", "x", "ping", "local"}), "unknown option"));
    EXPECT_TRUE(tt::contains(why({"-K", "--become-pass-fd", "3", "ping", "local"}), "not both"));
    EXPECT_TRUE(tt::contains(why({"ping", "--json", "local"}), "--json is for exec"));
}

// --- the tool as a process ----------------------------------------------------------

struct ToolResult {
    int status = -1;
    std::string out;
    std::string err;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The environment the tool runs with: ours without an SSH agent or a log level.
std::vector<char*> tool_environment() {
    std::vector<char*> env;
    for (char** e = environ; *e; ++e) {
        std::string v = *e;
        if (v.rfind("SSH_AUTH_SOCK=", 0) != 0 && v.rfind("TETHER_LOG_LEVEL=", 0) != 0) {
            env.push_back(*e);
        }
    }
    env.push_back(nullptr);
    return env;
}

// argv for posix_spawn: pointers into `words`, which must outlive them.
std::vector<char*> pointers(std::vector<std::string>& words) {
    std::vector<char*> out;
    for (auto& w : words) {
        out.push_back(w.data());
    }
    out.push_back(nullptr);
    return out;
}

// Runs the tool to the end; `input` is its stdin (for --pass-fd 0); `under`:
// a command that runs the tool (its argv's first words).
ToolResult tool(std::vector<std::string> args, const std::string& input = "",
                const std::vector<std::string>& under = {}) {
    std::string out = tt::temp_path("out"), err = tt::temp_path("err"), in = tt::temp_path("in");
    { std::ofstream(in) << input; }
    args.insert(args.begin(), TT_TETHER_TOOL);
    args.insert(args.begin(), under.begin(), under.end());
    std::vector<char*> argv = pointers(args);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> env = tool_environment();
    pid_t pid = -1;
    ToolResult r;
    if (::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), env.data()) == 0) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    posix_spawn_file_actions_destroy(&actions);
    r.out = slurp(out);
    r.err = slurp(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    std::filesystem::remove(in);
    return r;
}

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

std::string show(const ToolResult& r) {
    return "status " + std::to_string(r.status) + "\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

TEST(CliLocal, ExecStreamsEachTargetsLinesWithItsNameThenASummary) {
    ToolResult r = tool({"exec", "local,local/local", "local", "--", "sh", "-c",
                         "echo one; echo two >&2; printf unterminated"});
    EXPECT_EQ(r.status, 0) << show(r);
    for (std::string name : {"local", "local/local", "local#2"}) {
        EXPECT_TRUE(tt::contains(r.out, name + ": one\n")) << show(r);
        EXPECT_TRUE(tt::contains(r.out, name + ": unterminated\n")) << show(r);
        EXPECT_TRUE(tt::contains(r.err, name + ": two\n")) << show(r);
    }
    EXPECT_TRUE(tt::contains(r.err, "3 targets: 3 ok, 0 failed, 0 unreachable")) << show(r);
    EXPECT_EQ(r.err.find('\r'), std::string::npos) << "a progress line without a terminal";

    // One failing target makes the exit status 1 and the summary says which.
    ToolResult f = tool({"exec", "local,local/local", "--", "sh", "-c",
                         "test \"$(cat /proc/$PPID/comm)\" = x || exit 7"});
    EXPECT_EQ(f.status, 1) << show(f);
    EXPECT_EQ(count(f.err, "failed      exit 7"), 2u) << show(f);
}

TEST(CliLocal, ExecInForkedTargets) {
    ToolResult r = tool({"exec", "fork,fork/fork,local/fork", "--", "sh", "-c", "echo $PPID"});
    EXPECT_EQ(r.status, 0) << show(r);
    for (std::string name : {"fork", "fork/fork", "local/fork"}) {
        EXPECT_TRUE(tt::contains(r.out, name + ": ")) << show(r);
    }
    EXPECT_TRUE(tt::contains(r.err, "3 targets: 3 ok, 0 failed, 0 unreachable")) << show(r);
    ToolResult bad = tool({"exec", "fork:x", "--", "true"});
    EXPECT_EQ(bad.status, 2) << show(bad);
    EXPECT_TRUE(tt::contains(bad.err, "'fork' takes nothing after it")) << show(bad);
}

TEST(CliLocal, JsonGivesOneObjectPerTarget) {
    ToolResult r = tool({"exec", "--json", "local,local", "--", "sh", "-c",
                         "echo \"out\\\"q\"; echo err >&2; exit 3"});
    EXPECT_EQ(r.status, 1) << show(r);
    std::istringstream lines(r.out);
    std::vector<std::string> objects;
    for (std::string line; std::getline(lines, line);) {
        objects.push_back(line);
    }
    ASSERT_EQ(objects.size(), 2u) << show(r);
    for (const std::string& o : objects) {
        EXPECT_TRUE(tt::contains(o, "\"status\":\"failed\"")) << o;
        EXPECT_TRUE(tt::contains(o, "\"exit_code\":3")) << o;
        EXPECT_TRUE(tt::contains(o, "\"stdout\":\"out\\\"q\\n\"")) << o;
        EXPECT_TRUE(tt::contains(o, "\"stderr\":\"err\\n\"")) << o;
    }
    EXPECT_TRUE(tt::contains(r.out, "\"target\":\"local#2\"")) << r.out;
    EXPECT_EQ(r.err, "") << "no summary with --json";
}

TEST(CliLocal, MistakesGiveOneLineAndTheirExitStatus) {
    ToolResult missing = tool({"exec", "local", "--", "no-such-command-tt"});
    EXPECT_EQ(missing.status, 1) << show(missing);
    EXPECT_TRUE(
        tt::contains(missing.err, "tether: local: failed: command not found: no-such-command-tt\n"))
        << show(missing);
    EXPECT_TRUE(tt::contains(missing.err, "exit 127")) << show(missing);

    ToolResult syntax = tool({"exec", "local,lcoal:x", "--", "true"});
    EXPECT_EQ(syntax.status, 2) << show(syntax);
    EXPECT_TRUE(
        tt::contains(syntax.err, "tether: unknown target syntax 'lcoal:x': no method 'lcoal'"))
        << show(syntax);
    EXPECT_EQ(syntax.out, "");

    ToolResult usage = tool({"exec", "local"});
    EXPECT_EQ(usage.status, 2) << show(usage);
    ToolResult help = tool({"--help"});
    EXPECT_EQ(help.status, 0);
    EXPECT_TRUE(tt::contains(help.out, "tether exec TARGETS... -- CMD")) << help.out;

    // A signal ends the command: failed, with the signal named.
    ToolResult killed = tool({"exec", "local", "--", "sh", "-c", "kill -TERM $$"});
    EXPECT_EQ(killed.status, 1) << show(killed);
    EXPECT_TRUE(tt::contains(killed.err, "signal 15")) << show(killed);
}

// On a kernel without pidfd_open (Linux < 5.3) the tool and every context
// poll for the exits of what they start.
TEST(CliLocal, ExecWorksWithoutPidfdOpen) {
    ToolResult r =
        tool({"exec", "local,local/local", "--", "sh", "-c", "echo hi; exit 3"}, "", {TT_NO_PIDFD});
    EXPECT_EQ(r.status, 1) << show(r);
    EXPECT_EQ(count(r.out, ": hi\n"), 2u) << show(r);
    EXPECT_EQ(count(r.err, "failed      exit 3"), 2u) << show(r);
    ToolResult killed =
        tool({"exec", "local", "--", "sh", "-c", "kill -TERM $$"}, "", {TT_NO_PIDFD});
    EXPECT_EQ(killed.status, 1) << show(killed);
    EXPECT_TRUE(tt::contains(killed.err, "signal 15")) << show(killed);
}

TEST(CliLocal, PingAndTreeShowTheChainOfContexts) {
    ToolResult ping = tool({"ping", "local/local"});
    EXPECT_EQ(ping.status, 0) << show(ping);
    EXPECT_TRUE(tt::contains(ping.out, "local/local: ok  connect ")) << show(ping);
    EXPECT_TRUE(tt::contains(ping.out, " round trip ")) << show(ping);
    EXPECT_EQ(count(ping.out, " -> local."), 2u) << show(ping);

    ToolResult tree = tool({"tree", "local/local,local"});
    EXPECT_EQ(tree.status, 0) << show(tree);
    // The shared first hop appears once, with the second under it.
    EXPECT_EQ(count(tree.out, "── local  local."), 2u) << show(tree);
    EXPECT_TRUE(tt::contains(tree.out, "    └── local  local.")) << show(tree);
    EXPECT_TRUE(tt::contains(tree.out, "tether (")) << show(tree);

    // The hop that failed is the one marked, the one before it is up.
    std::string closed = "ssh:127.0.0.1:" + std::to_string(tt::free_port());
    ToolResult broken = tool({"tree", "local/" + closed});
    EXPECT_EQ(broken.status, 4) << show(broken);
    EXPECT_TRUE(tt::contains(broken.out, "└── local  local.")) << show(broken);
    EXPECT_TRUE(tt::contains(broken.out, "    └── " + closed + "  unreachable: ")) << show(broken);

    // With one fork, the hop two targets share is still started once.
    ToolResult shared = tool({"ping", "-f", "1", "local/local,local/local/local"});
    EXPECT_EQ(shared.status, 0) << show(shared);
    auto first_hop = [&](const std::string& name) {
        auto line = shared.out.find(name + ": ok");
        auto at = shared.out.find("tether -> local.", line);
        return line == std::string::npos || at == std::string::npos
                   ? std::string("?")
                   : shared.out.substr(at, shared.out.find(' ', at + 10) - at);
    };
    EXPECT_EQ(first_hop("local/local"), first_hop("local/local/local")) << show(shared);

    // A target written twice has contexts of its own.
    ToolResult twice = tool({"tree", "local,local"});
    EXPECT_EQ(twice.status, 0) << show(twice);
    EXPECT_EQ(count(twice.out, "── local  local."), 2u) << show(twice);

    ToolResult dot = tool({"tree", "--dot", "local/local"});
    EXPECT_EQ(dot.status, 0) << show(dot);
    EXPECT_TRUE(tt::contains(dot.out, "digraph tether {")) << dot.out;
    EXPECT_TRUE(tt::contains(dot.out, "\"tether\" -> \"local\";")) << dot.out;
    EXPECT_TRUE(tt::contains(dot.out, "\"local\" -> \"local/local\";")) << dot.out;
    if (::access("/usr/bin/dot", X_OK) == 0 || tt::in_ci()) {  // graphviz: install-deps.sh
        std::string file = tt::temp_path("tree") + ".dot";
        std::ofstream(file) << dot.out;
        EXPECT_TRUE(tt::contains(tt::run("dot -Tsvg " + file), "<svg")) << dot.out;
        std::filesystem::remove(file);
    }
}

TEST(CliLocal, CopyKeepsTheModeRenamesAtomicallyAndChecksTheSum) {
    std::string dir = tt::temp_path("copy");
    std::filesystem::create_directories(dir);
    std::string source = dir + "/source.bin";
    tt::run("head -c 3000017 /dev/urandom > " + source + " && chmod 0751 " + source);
    ToolResult r =
        tool({"copy", source, "local,local/local:" + dir + "/a.bin", "local:" + dir + "/b.bin"});
    EXPECT_EQ(r.status, 0) << show(r);
    for (std::string name : {"a.bin", "b.bin"}) {
        std::string copy = dir + "/" + name;
        EXPECT_EQ(tt::run("cmp " + source + " " + copy + " && echo same"), "same\n") << copy;
        EXPECT_EQ(std::filesystem::status(copy).permissions(), std::filesystem::perms(0751))
            << copy;
    }
    EXPECT_EQ(count(r.out, "copied 3000017 bytes"), 3u) << show(r);
    EXPECT_TRUE(tt::contains(r.out, "local#2: copied 3000017 bytes to " + dir + "/b.bin"))
        << "the same target in two arguments is two targets: " << show(r);
    // Into a directory that is not there: failed, saying why; nothing else written.
    ToolResult bad = tool({"copy", source, "local:" + dir + "/nope/c.bin"});
    EXPECT_EQ(bad.status, 1) << show(bad);
    EXPECT_TRUE(tt::contains(bad.err, "cannot create a file in " + dir + "/nope")) << show(bad);
    EXPECT_EQ(tt::run("ls -A " + dir), "a.bin\nb.bin\nsource.bin\n");
    ToolResult no_path = tool({"copy", source, "local"});
    EXPECT_EQ(no_path.status, 2) << show(no_path);
    std::filesystem::remove_all(dir);
}

TEST(CliLocal, ProgressLineOnATerminalWithManyTargets) {
    if (::access("/usr/bin/script", X_OK) != 0) {
        GTEST_SKIP() << "script (bsdutils) is not installed";
    }
    // script(1) gives the tool a terminal; its output is the terminal's.
    std::string out = tt::run(std::string("script -qec '") + TT_TETHER_TOOL +
                              " exec local,local,local,local,local,local -- true' /dev/null");
    EXPECT_TRUE(tt::contains(out, "[6/6 done]")) << out;
    EXPECT_TRUE(tt::contains(out, "\r\033[K")) << "the progress line is cleared: " << out;
    EXPECT_TRUE(tt::contains(out, "6 targets: 6 ok")) << out;
}

// Every process below `pid`, by walking /proc.
std::set<pid_t> descendants(pid_t root) {
    std::map<pid_t, pid_t> parent;
    if (DIR* d = ::opendir("/proc")) {
        while (dirent* e = ::readdir(d)) {
            pid_t pid = std::atoi(e->d_name);
            if (pid <= 0) {
                continue;
            }
            std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
            std::string line;
            std::getline(stat, line);
            auto close = line.rfind(')');
            if (close == std::string::npos) {
                continue;
            }
            std::istringstream rest(line.substr(close + 2));
            char state;
            pid_t ppid = 0;
            rest >> state >> ppid;
            parent[pid] = ppid;
        }
        ::closedir(d);
    }
    std::set<pid_t> found{root};
    for (bool grew = true; grew;) {
        grew = false;
        for (auto [pid, ppid] : parent) {
            if (found.count(ppid) && found.insert(pid).second) {
                grew = true;
            }
        }
    }
    found.erase(root);
    return found;
}

class CliUsers : public tt::Users {};

TEST_F(CliUsers, CtrlCStopsEveryCommandAndShutsEveryContextDown) {
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    std::vector<std::string> args = {TT_TETHER_TOOL,
                                     "exec",
                                     "local,local/local,sudo:tt_bob",
                                     "--",
                                     "sh",
                                     "-c",
                                     "sleep 1000 & echo started $!; wait; echo x"};
    std::vector<char*> argv = pointers(args);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    // A process group of its own, as a shell gives a foreground job: ^C on a
    // terminal signals all of it, the tool's local and sudo children too.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    std::vector<char*> env = tool_environment();
    pid_t pid = -1;
    ASSERT_EQ(::posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), env.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(out[1]);
    // Wait until all three commands run (each prints the pid of the sleep
    // it started), then ^C.
    std::string seen;
    char buffer[4096];
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (count(seen, "started ") < 3) {
        pollfd readable{out[0], POLLIN, 0};
        ASSERT_EQ(::poll(&readable, 1, 1000) >= 0, true);
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "never started: " << seen;
        if (readable.revents == 0) {
            continue;
        }
        ssize_t n = ::read(out[0], buffer, sizeof buffer);
        ASSERT_GT(n, 0) << "the tool ended early: " << seen;
        seen.append(buffer, static_cast<std::size_t>(n));
    }
    std::set<pid_t> below = descendants(pid);
    std::set<pid_t> sleepers;
    for (auto at = seen.find("started "); at != std::string::npos;
         at = seen.find("started ", at + 1)) {
        sleepers.insert(std::atoi(seen.c_str() + at + 8));
    }
    ASSERT_EQ(sleepers.size(), 3u) << seen;
    for (pid_t p : sleepers) {
        EXPECT_EQ(below.count(p), 1u) << "a sleep below the tool: " << p;
    }
    auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(-pid, SIGINT), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 130);
    while (ssize_t n = ::read(out[0], buffer, sizeof buffer)) {
        if (n < 0) {
            break;
        }
        seen.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    EXPECT_FALSE(tt::contains(seen, ": x\n")) << "a command went on: " << seen;
    EXPECT_FALSE(tt::contains(seen, "lost")) << "a context died of the ^C itself: " << seen;
    // Nothing the tool started is left: contexts, sudo, shells, sleeps.
    for (pid_t p : below) {
        EXPECT_TRUE(tt::gone_within(p, 3s))
            << "left running: " << p << " "
            << tt::run("cat /proc/" + std::to_string(p) + "/cmdline | tr '\\0' ' '");
    }
}

TEST_F(CliUsers, APasswordAskedOnTheTerminalIsNotEchoed) {
    // The tool on a pseudo-terminal of its own (its controlling terminal, so
    // /dev/tty is this one); the test types the password at the prompt.
    int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(master, 0);
    ASSERT_EQ(::grantpt(master), 0);
    ASSERT_EQ(::unlockpt(master), 0);
    std::string slave = ::ptsname(master);
    std::string chain = "sudo:tt_alice/sudo:tt_bob";
    std::vector<std::string> args = {TT_TETHER_TOOL, "exec", "-K", chain, "--", "id", "-un"};
    std::vector<char*> argv = pointers(args);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (int fd : {0, 1, 2}) {  // opened after setsid: the first becomes the controlling tty
        posix_spawn_file_actions_addopen(&actions, fd, slave.c_str(), O_RDWR, 0);
    }
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
    std::vector<char*> env = tool_environment();
    pid_t pid = -1;
    ASSERT_EQ(::posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), env.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);

    std::string seen;
    auto read_until = [&](const std::string& needle) {
        auto deadline = std::chrono::steady_clock::now() + 60s;
        char buffer[4096];
        while (!tt::contains(seen, needle) && std::chrono::steady_clock::now() < deadline) {
            pollfd readable{master, POLLIN, 0};
            if (::poll(&readable, 1, 1000) <= 0) {
                continue;
            }
            ssize_t n = ::read(master, buffer, sizeof buffer);
            if (n <= 0) {
                break;  // EIO: every slave fd closed, the tool is gone
            }
            seen.append(buffer, static_cast<std::size_t>(n));
        }
        return tt::contains(seen, needle);
    };
    ASSERT_TRUE(read_until("sudo/su password: ")) << seen;
    std::string typed = tt::password_of("tt_alice") + "\n";
    ASSERT_EQ(::write(master, typed.data(), typed.size()), static_cast<ssize_t>(typed.size()));
    bool finished = read_until("1 target: 1 ok");
    EXPECT_TRUE(finished) << seen;
    if (!finished) {
        ::kill(pid, SIGKILL);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ::close(master);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << seen;
    EXPECT_TRUE(tt::contains(seen, chain + ": tt_bob")) << seen;
    EXPECT_FALSE(tt::contains(seen, tt::password_of("tt_alice"))) << "echoed: " << seen;
}

TEST_F(CliUsers, SudoTargetsPasswordsFromADescriptorAndCopies) {
    // root becomes tt_bob without a password.
    ToolResult r = tool({"exec", "sudo:tt_bob,local/su:tt_bob", "--", "id", "-un"});
    EXPECT_EQ(r.status, 0) << show(r);
    EXPECT_TRUE(tt::contains(r.out, "sudo:tt_bob: tt_bob\n")) << show(r);
    EXPECT_TRUE(tt::contains(r.out, "local/su:tt_bob: tt_bob\n")) << show(r);

    // tt_alice needs her password to become tt_bob; it comes on fd 0.
    std::string chain = "sudo:tt_alice/sudo:tt_bob";
    ToolResult right = tool({"exec", "--become-pass-fd", "0", chain, "--", "id", "-un"},
                            tt::password_of("tt_alice") + "\n");
    EXPECT_EQ(right.status, 0) << show(right);
    EXPECT_TRUE(tt::contains(right.out, chain + ": tt_bob\n")) << show(right);
    ToolResult wrong = tool({"exec", "-vv", "--become-pass-fd", "0", chain, "--", "id", "-un"},
                            "not-her-password\n");
    EXPECT_EQ(wrong.status, 4) << show(wrong);
    EXPECT_TRUE(tt::contains(wrong.err, "tether: " + chain + ": ")) << show(wrong);
    EXPECT_TRUE(tt::contains(wrong.err, "incorrect password")) << show(wrong);
    EXPECT_FALSE(tt::contains(wrong.out + wrong.err, "not-her-password")) << show(wrong);
    // Without a password (and no terminal to ask on) sudo says so.
    ToolResult none = tool({"exec", chain, "--", "true"});
    EXPECT_EQ(none.status, 4) << show(none);
    EXPECT_TRUE(tt::contains(none.err, "a password is required")) << show(none);

    // A rename that fails (tt_bob may not replace root's file in a sticky
    // directory) happens after the temporary exists: it goes too.
    std::string sticky = tt::temp_path("sticky");
    tt::run("mkdir -m 1777 " + sticky + " && echo old > " + sticky + "/f");
    std::string small = tt::temp_path("copy-small");
    tt::run("echo new > " + small);
    ToolResult refused = tool({"copy", small, "sudo:tt_bob:" + sticky + "/f"});
    EXPECT_EQ(refused.status, 1) << show(refused);
    EXPECT_TRUE(tt::contains(refused.err, "cannot rename into " + sticky + "/f")) << show(refused);
    EXPECT_EQ(tt::run("ls -A " + sticky + "; cat " + sticky + "/f"), "f\nold\n");
    std::filesystem::remove_all(sticky);
    std::filesystem::remove(small);

    // A copy lands owned by the target's user, with the source's mode.
    std::string dir = tt::temp_path("copy-bob");
    std::filesystem::create_directories(dir);
    tt::run("chown tt_bob " + dir);
    std::string source = tt::temp_path("copy-src");
    tt::run("echo hello > " + source + " && chmod 0640 " + source);
    ToolResult copy = tool({"copy", source, "sudo:tt_bob:" + dir + "/hello"});
    EXPECT_EQ(copy.status, 0) << show(copy);
    EXPECT_EQ(tt::run("stat -c '%U %a' " + dir + "/hello"), "tt_bob 640\n");
    EXPECT_EQ(tt::run("cat " + dir + "/hello"), "hello\n");
    std::filesystem::remove_all(dir);
    std::filesystem::remove(source);
}

class CliSsh : public tt::SshUsers {
  protected:
    std::string host(const std::string& user = "tt_bob") const {
        return "ssh:" + user + "@" + sshd_->address() + ":" + std::to_string(sshd_->port());
    }
    std::vector<std::string> keys() const {
        return {"--identity", sshd_->client_key(), "--known-hosts", sshd_->known_hosts()};
    }
    ToolResult run(std::vector<std::string> args, const std::string& input = "") const {
        std::vector<std::string> all = keys();
        all.insert(all.end(), args.begin(), args.end());
        return tool(all, input);
    }
};

TEST_F(CliSsh, ExecPingTreeAndCopyOverSshAndSudoBehindIt) {
    std::string bob = host(), chain = host("root") + "/sudo:tt_bob";
    ToolResult r = run({"exec", bob + "," + chain, "--", "sh", "-c", "id -un; hostname"});
    EXPECT_EQ(r.status, 0) << show(r);
    EXPECT_TRUE(tt::contains(r.out, bob + ": tt_bob\n")) << show(r);
    EXPECT_TRUE(tt::contains(r.out, chain + ": tt_bob\n")) << show(r);

    ToolResult ping = run({"ping", chain});
    EXPECT_EQ(ping.status, 0) << show(ping);
    EXPECT_TRUE(tt::contains(ping.out, "-> ssh." + sshd_->address())) << show(ping);
    EXPECT_TRUE(tt::contains(ping.out, ".sudo.tt_bob (tt_bob@")) << show(ping);

    ToolResult tree = run({"tree", chain + "," + host("root") + "/local"});
    EXPECT_EQ(tree.status, 0) << show(tree);
    EXPECT_EQ(count(tree.out, "── " + host("root") + "  ssh."), 1u)
        << "shared once: " << show(tree);
    EXPECT_TRUE(tt::contains(tree.out, "── sudo:tt_bob  ")) << show(tree);

    std::string source = tt::temp_path("ssh-src"), dest = tt::temp_path("ssh-dst");
    tt::run("head -c 100000 /dev/urandom > " + source + " && chmod 0600 " + source);
    ToolResult copy = run({"copy", source, host("root") + ":" + dest});
    EXPECT_EQ(copy.status, 0) << show(copy);
    EXPECT_EQ(tt::run("cmp " + source + " " + dest + " && stat -c %a " + dest), "600\n");
    std::filesystem::remove(source);
    std::filesystem::remove(dest);
}

TEST_F(CliSsh, ABareHostNameIsAnSshHostLookedUpInTheSshConfig) {
    std::string config = tt::temp_path("cli-ssh-config");
    std::ofstream(config) << "Host web1\n  HostName " << sshd_->address() << "\n  Port "
                          << sshd_->port() << "\n  User tt_bob\n  IdentityFile "
                          << sshd_->client_key() << "\n  UserKnownHostsFile "
                          << sshd_->known_hosts() << "\n";
    ToolResult r = tool({"-F", config, "exec", "web1,tt_carol@web1", "--", "id", "-un"});
    EXPECT_EQ(r.status, 0) << show(r);
    EXPECT_TRUE(tt::contains(r.out, "web1: tt_bob\n")) << show(r);
    EXPECT_TRUE(tt::contains(r.out, "tt_carol@web1: tt_carol\n")) << show(r);
    ToolResult tree = tool({"-F", config, "tree", "web1"});
    EXPECT_EQ(tree.status, 0) << show(tree);
    EXPECT_TRUE(tt::contains(tree.out, "── web1  ssh.web1:" + std::to_string(sshd_->port())))
        << show(tree);
    // Without the config, web1 is a name nobody resolves.
    ToolResult off = tool({"-F", config, "--no-ssh-config", "exec", "web1", "--", "true"});
    EXPECT_EQ(off.status, 4) << show(off);
    EXPECT_TRUE(tt::contains(off.err, "tether: web1: ")) << show(off);
    std::filesystem::remove(config);
}

TEST_F(CliSsh, RefusedPortUnknownKeyChangedKeyAndFailedAuthEachSayWhy) {
    // Nothing listens: unreachable, at once.
    std::string closed = "ssh:tt_bob@127.0.0.1:" + std::to_string(tt::free_port());
    ToolResult refused = run({"exec", closed, "--", "true"});
    EXPECT_EQ(refused.status, 4) << show(refused);
    EXPECT_TRUE(tt::contains(refused.err, "tether: " + closed + ": ")) << show(refused);
    EXPECT_TRUE(tt::contains(refused.err, "Connection refused")) << show(refused);
    EXPECT_TRUE(tt::contains(refused.err, "unreachable")) << show(refused);

    // An unknown host key under enforce, then accepted with accept-new.
    std::string known = tt::temp_path("known");
    ToolResult unknown = tool(
        {"--identity", sshd_->client_key(), "--known-hosts", known, "exec", host(), "--", "true"});
    EXPECT_EQ(unknown.status, 4) << show(unknown);
    EXPECT_TRUE(tt::contains(unknown.err, "is unknown")) << show(unknown);
    EXPECT_TRUE(tt::contains(unknown.err, sshd_->fingerprint())) << show(unknown);
    ToolResult accepted = tool({"--identity", sshd_->client_key(), "--known-hosts", known,
                                "--host-keys", "accept-new", "exec", host(), "--", "true"});
    EXPECT_EQ(accepted.status, 0) << show(accepted);

    // Another key on file: changed, refused.
    std::string other = tt::temp_path("other");
    ASSERT_EQ(std::system(("ssh-keygen -q -t ed25519 -N '' -f " + other).c_str()), 0);
    std::ofstream(known) << "[" << sshd_->address() << "]:" << sshd_->port() << " "
                         << tt::run("cat " + other + ".pub");
    ToolResult changed = tool(
        {"--identity", sshd_->client_key(), "--known-hosts", known, "exec", host(), "--", "true"});
    EXPECT_EQ(changed.status, 4) << show(changed);
    EXPECT_TRUE(tt::contains(changed.err, "has CHANGED")) << show(changed);

    // The wrong key, then a wrong password from fd 0: authentication failed.
    ToolResult bad_key = tool(
        {"--identity", other, "--known-hosts", sshd_->known_hosts(), "exec", host(), "--", "true"});
    EXPECT_EQ(bad_key.status, 4) << show(bad_key);
    EXPECT_TRUE(tt::contains(bad_key.err, "tether: " + host() + ": ")) << show(bad_key);
    EXPECT_TRUE(tt::contains(bad_key.err, "auth")) << show(bad_key);
    ToolResult bad_password = tool({"--identity", other, "--known-hosts", sshd_->known_hosts(),
                                    "--pass-fd", "0", "exec", host(), "--", "true"},
                                   "wrong-pw-tt\n");
    EXPECT_EQ(bad_password.status, 4) << show(bad_password);
    EXPECT_FALSE(tt::contains(bad_password.out + bad_password.err, "wrong-pw-tt"));
    for (const std::string& f : {known, other, other + ".pub"}) {
        std::filesystem::remove(f);
    }
}

}  // namespace

namespace {

// Two hosts in network namespaces (10.232.N.2, an sshd on port 22 in each),
// reached through an inventory group.
class CliHosts : public tt::Users {
  protected:
    static constexpr int kHosts = 2;

    void SetUp() override {
        tt::Users::SetUp();
        if (IsSkipped() || HasFailure()) {
            return;
        }
        std::string missing = tt::Sshd::missing();
        if (missing.empty() &&
            std::system("ip netns add tt-cprobe && ip netns del tt-cprobe") != 0) {
            missing = "cannot make network namespaces here";
        }
        tt::require("the multi-host CLI test", missing);
        if (IsSkipped() || HasFailure()) {
            return;
        }
        // Each host undoes itself, so a setup that fails half-way leaves
        // nothing behind.
        for (int n = 1; n <= kHosts; ++n) {
            std::string i = std::to_string(n);
            hosts_.push_back(std::make_unique<tt::NetnsHost>(tt::NetnsHostOptions{
                .ns = "tt-cns" + i, .link = "tt-cv" + i + "a", .subnet = "10.232." + i}));
        }
        // One inventory, one known_hosts file for both hosts.
        inventory_ = tt::temp_path("inventory");
        known_ = tt::temp_path("known");
        std::ofstream inv(inventory_), known(known_);
        inv << "# two hosts in namespaces\n[web]\n";
        for (int n = 0; n < kHosts; ++n) {
            const tt::Sshd& h = hosts_[static_cast<std::size_t>(n)]->sshd();
            inv << "web" << n + 1 << " host=" << h.address() << " port=" << h.port()
                << " user=tt_bob identity=" << h.client_key() << "\n";
            known << h.known_hosts_line() << "\n";
        }
    }

    void TearDown() override {
        hosts_.clear();
        std::filesystem::remove(inventory_);
        std::filesystem::remove(known_);
    }

    std::vector<std::unique_ptr<tt::NetnsHost>> hosts_;
    std::string inventory_;
    std::string known_;
};

TEST_F(CliHosts, AGroupFromTheInventoryAndACutLinkFailsOnlyThatHost) {
    std::vector<std::string> common = {"-i",   inventory_,          "--known-hosts",
                                       known_, "--connect-timeout", "3"};
    auto with = [&](std::vector<std::string> args) {
        args.insert(args.begin(), common.begin(), common.end());
        return tool(args);
    };
    ToolResult r = with({"exec", "@web", "--", "sh", "-c", "id -un; ip -4 -o addr show"});
    EXPECT_EQ(r.status, 0) << show(r);
    EXPECT_TRUE(tt::contains(r.out, "web1: tt_bob\n")) << show(r);
    EXPECT_TRUE(tt::contains(r.out, "10.232.1.2/24")) << "ran in the first namespace: " << show(r);
    EXPECT_TRUE(tt::contains(r.out, "10.232.2.2/24")) << "ran in the second: " << show(r);
    EXPECT_TRUE(tt::contains(r.err, "2 targets: 2 ok")) << show(r);

    ToolResult tree = with({"tree", "@web,web1/local"});
    EXPECT_EQ(tree.status, 0) << show(tree);
    EXPECT_TRUE(tt::contains(tree.out, "├── ssh:web1  ssh.web1 (tt_bob@")) << show(tree);
    EXPECT_TRUE(tt::contains(tree.out, "│   └── local  ssh.web1.local.")) << show(tree);
    EXPECT_EQ(tree.err, "") << "nothing logged at the default level";

    // The second host's link goes down: it alone is unreachable, exit 4.
    ASSERT_EQ(std::system("ip link set tt-cv2a down"), 0);
    ToolResult cut = with({"exec", "@web", "--", "true"});
    EXPECT_EQ(cut.status, 4) << show(cut);
    EXPECT_TRUE(tt::contains(cut.err, "tether: web2: unreachable: ")) << show(cut);
    EXPECT_TRUE(tt::contains(cut.err, "10.232.2.2")) << show(cut);
    EXPECT_TRUE(tt::contains(cut.err, "2 targets: 1 ok, 0 failed, 1 unreachable")) << show(cut);
}

}  // namespace
