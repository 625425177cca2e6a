#include "tools/command_line.hpp"

#include <charconv>
#include <cmath>
#include <string_view>

namespace tether::cli {

const char* const kUsage = R"(usage: tether [OPTIONS] COMMAND ...

  tether exec TARGETS... -- CMD [ARGS...]   run a command in every target at once
  tether ping TARGETS...                    connect, call, report latency and the chain
  tether copy SRC TARGETS:/DEST...          push a file (mode kept, atomic, checksummed)
  tether tree TARGETS... [--dot]            the context tree, as text or Graphviz DOT

TARGETS: local, sudo:USER, su:USER, doas:USER, ssh:[USER@]HOST[:PORT], fork,
chroot:PATH (to the end of the target; chroot:[PATH] to go on), docker:C,
podman:C, lxc:C, kubectl:[NS/]POD[:C], setns:pid=PID, setns:net=NAME, @GROUP,
an inventory host, or a bare [USER@]HOST[:PORT] meaning ssh:; hops joined by
'/' (deploy@web1/sudo:root); targets separated by ',' or given as several
arguments.

options:
  -i, --inventory FILE       hosts and groups (see docs/cli.md)
  --connect-timeout SECONDS  per hop, 30 by default
  -f, --forks N              targets in flight at once, 16 by default
  --host-keys POLICY         enforce (default), accept-new or ignore
  --known-hosts FILE         instead of ~/.ssh/known_hosts
  --identity FILE            SSH private key (the inventory's identity= wins)
  -F, --ssh-config FILE      OpenSSH client config instead of ~/.ssh/config
  --no-ssh-config            read no OpenSSH client config
  -k, --ask-pass             ask for the SSH password on the terminal
  -K, --ask-become-pass      ask for the sudo/su password on the terminal
  --pass-fd N                read the SSH password from file descriptor N
  --become-pass-fd N         read the sudo/su password from file descriptor N
  --json                     exec: one JSON object per target instead of live output
  --dot                      tree: Graphviz DOT
  -v                         more log (-v debug, -vv io); or TETHER_LOG_LEVEL
  -h, --help, --version

exit status: 0 all ok, 1 a target failed, 2 usage error, 4 a target was
unreachable, 130 interrupted.
)";

namespace {

int parse_int(const std::string& option, std::string_view text, int low, int high) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < low || value > high) {
        throw UsageError(option + " wants a whole number from " + std::to_string(low) + " to " +
                         std::to_string(high) + ", not '" + std::string(text) + "'");
    }
    return value;
}

std::chrono::milliseconds parse_seconds(const std::string& option, const std::string& text) {
    double seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc{} || end != text.data() + text.size() || !(seconds > 0) ||
        seconds > 86400) {
        throw UsageError(option + " wants seconds (e.g. 5 or 0.5), not '" + text + "'");
    }
    return std::chrono::milliseconds(std::llround(seconds * 1000));
}

HostKeyPolicy parse_policy(const std::string& text) {
    if (text == "enforce") {
        return HostKeyPolicy::enforce;
    }
    if (text == "accept-new") {
        return HostKeyPolicy::accept_new;
    }
    if (text == "ignore") {
        return HostKeyPolicy::ignore;
    }
    throw UsageError("--host-keys is enforce, accept-new or ignore, not '" + text + "'");
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv) {
    CommandLine cl;
    std::vector<std::string> positional;
    bool saw_dashes = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--") {
            saw_dashes = true;
            cl.argv.assign(argv + i + 1, argv + argc);
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            positional.push_back(arg);
            continue;
        }
        // --option=value and --option value alike.
        std::string value;
        bool inline_value = false;
        if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
            inline_value = true;
        }
        auto next = [&]() -> std::string {
            if (inline_value) {
                return value;
            }
            if (i + 1 >= argc) {
                throw UsageError(arg + " needs a value");
            }
            return argv[++i];
        };
        if (arg == "-h" || arg == "--help") {
            cl.help = true;
        } else if (arg == "--version") {
            cl.version = true;
        } else if (arg == "-i" || arg == "--inventory") {
            cl.inventory = next();
        } else if (arg == "--connect-timeout") {
            cl.connect.connect_timeout = parse_seconds(arg, next());
        } else if (arg == "-f" || arg == "--forks") {
            cl.forks = static_cast<std::size_t>(parse_int(arg, next(), 1, 1024));
        } else if (arg == "--host-keys") {
            cl.connect.host_keys = parse_policy(next());
        } else if (arg == "--known-hosts") {
            cl.connect.known_hosts_file = next();
        } else if (arg == "--identity") {
            cl.connect.identity_file = next();
        } else if (arg == "-F" || arg == "--ssh-config") {
            cl.connect.ssh_config = next();
        } else if (arg == "--no-ssh-config") {
            cl.connect.use_ssh_config = false;
        } else if (arg == "-k" || arg == "--ask-pass") {
            cl.ask_pass = true;
        } else if (arg == "-K" || arg == "--ask-become-pass") {
            cl.ask_become_pass = true;
        } else if (arg == "--pass-fd") {
            cl.pass_fd = parse_int(arg, next(), 0, 1 << 20);
        } else if (arg == "--become-pass-fd") {
            cl.become_pass_fd = parse_int(arg, next(), 0, 1 << 20);
        } else if (arg == "--json") {
            cl.json = true;
        } else if (arg == "--dot") {
            cl.dot = true;
        } else if (arg.find_first_not_of('v', 1) == std::string::npos) {
            cl.verbose += static_cast<int>(arg.size() - 1);
        } else if (arg == "--verbose") {
            ++cl.verbose;
        } else {
            throw UsageError("unknown option " + arg);
        }
    }
    if (cl.help || cl.version) {
        return cl;
    }
    if (positional.empty()) {
        throw UsageError("no command (exec, ping, copy or tree)");
    }
    cl.command = positional.front();
    positional.erase(positional.begin());
    if (cl.command != "exec" && cl.command != "ping" && cl.command != "copy" &&
        cl.command != "tree") {
        throw UsageError("unknown command '" + cl.command + "' (exec, ping, copy or tree)");
    }
    if (cl.command == "exec" && (!saw_dashes || cl.argv.empty())) {
        throw UsageError("exec wants the command after '--': tether exec TARGETS -- CMD [ARGS]");
    }
    if (cl.command != "exec" && saw_dashes) {
        throw UsageError("only exec takes a command after '--'");
    }
    if (cl.command == "copy") {
        if (positional.size() < 2) {
            throw UsageError("copy wants SRC TARGETS:/DEST");
        }
        cl.source = positional.front();
        positional.erase(positional.begin());
    }
    if (cl.json && cl.command != "exec") {
        throw UsageError("--json is for exec");
    }
    if (cl.dot && cl.command != "tree") {
        throw UsageError("--dot is for tree");
    }
    if ((cl.ask_pass && cl.pass_fd >= 0) || (cl.ask_become_pass && cl.become_pass_fd >= 0)) {
        throw UsageError("a password is either asked for or read from a descriptor, not both");
    }
    if (positional.empty()) {
        throw UsageError(cl.command + " wants at least one target");
    }
    cl.targets = std::move(positional);
    return cl;
}

}  // namespace tether::cli
