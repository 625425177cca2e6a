// Options for the Router and for each way of starting a context. Flat
// aggregates for designated initializers: method fields first, then the
// common fields in the order of shared/API.md. Value types.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tether/context.hpp"
#include "tether/secret.hpp"

namespace tether {

// Decided by the master and inherited by every descendant.
struct RouterOptions {
    // Largest payload accepted on send and on receive; a larger call fails
    // with ChannelError "message too large (max N bytes)".
    std::size_t max_message_size = std::size_t{128} << 20;
    // True: a child cannot reach its siblings or cousins, only its ancestors.
    bool unidirectional = true;
};

struct LocalOptions {
    // The command run as the child. Empty: this program itself (the usual
    // case). Set it to wrap the program (e.g. {"valgrind", "/path/to/self"}),
    // or in tests to run something that is not tether at all.
    std::vector<std::string> program = {};

    std::string name = {};         // default local.<pid>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    // Logs every message crossing this context's stream (here and in the
    // context) and runs the context at the `io` log level, whatever the
    // level elsewhere; its records reach the master's log.
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

// Another user on this machine, through sudo. The bootstrap runs as
// `sudo -p <prompt> -u <username> [flags] -- /bin/sh -c <script>`; sudo's
// prompt appears on a pseudo-terminal that only tether reads, and the password
// is written there once (never on a command line, never in a log).
struct SudoOptions {
    std::string username = "root";
    // Needed when sudo asks. Not given: sudo runs with -n and no terminal,
    // and if it needs one, ConnectError "sudo: a password is required" at
    // once. Wrong: "sudo: incorrect password".
    std::optional<Secret> password = std::nullopt;
    std::string sudo_path = "sudo";
    bool preserve_env = false;  // -E
    bool set_home = false;      // -H
    bool login = false;         // -i
    // More flags, parsed and checked: -E -H -i -n -P -S (ignored), -u/--user
    // USER, -g/--group GROUP, -r/--role ROLE, -t/--type TYPE and their long
    // forms. Anything else is refused with ConnectError.
    std::vector<std::string> sudo_args = {};
    std::string name = {};         // default sudo.<username>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

// Another user on this machine, through su, which reads the password from its
// terminal: the whole bootstrap runs under a pseudo-terminal in raw mode.
struct SuOptions {
    std::string username = "root";
    std::optional<Secret> password = std::nullopt;
    std::string su_path = "su";
    std::string name = {};         // default su.<username>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

// What to do with a server's host key, checked against an OpenSSH
// known_hosts file.
enum class HostKeyPolicy {
    enforce,     // unknown or changed: ConnectError showing the fingerprint
    accept_new,  // unknown: recorded in the file; changed: ConnectError
    ignore,      // anything goes (throwaway test hosts only)
};

// This program on another machine, over SSH (libssh, in-process: no `ssh`
// binary). The shell bootstrap runs on an exec channel; the program is
// shipped once and cached there. Unless `use_config` is false, the OpenSSH
// client config is read first, where the start is asked for (the master),
// through libssh's parser: see `config_file`.
struct SshOptions {
    // Required: an address, a name, or a `Host` alias of the config.
    std::string hostname = {};
    int port = 22;              // 22 counts as not given: the config's Port wins over it
    std::string username = {};  // default: this process's user
    // A private key file (unencrypted). Empty: ~/.ssh/id_ed25519, id_ecdsa
    // and id_rsa, those that exist.
    std::string identity_file = {};
    // For `password` and `keyboard-interactive` authentication.
    std::optional<Secret> password = std::nullopt;
    HostKeyPolicy check_host_keys = HostKeyPolicy::enforce;
    std::string known_hosts_file = {};  // default ~/.ssh/known_hosts
    // After half this long without a byte from the server, a keepalive asks
    // it for an answer (again every half interval); after keepalive_count
    // intervals of silence the connection counts as lost and every waiter
    // gets ChannelError. 0: no keepalives.
    std::chrono::milliseconds keepalive_interval = std::chrono::seconds(15);
    int keepalive_count = 3;
    bool compression = false;
    bool use_agent = true;  // try the keys of the agent at SSH_AUTH_SOCK first
    // The OpenSSH client config read for `hostname`. Empty: ~/.ssh/config,
    // then /etc/ssh/ssh_config (as libssh does); a file given: that file
    // alone, and it must exist. Its HostName, Port, User, IdentityFile and
    // UserKnownHostsFile fill the fields above left at their defaults (empty,
    // or port 22); ProxyJump `a,b` starts SSH contexts for a, then b through
    // a, and this one through b (unless `via` is given). A line libssh
    // cannot parse: ConnectError with libssh's words. ProxyCommand is never
    // run: ConnectError.
    std::string config_file = {};
    bool use_config = true;
    std::string name = {};         // default ssh.<hostname>:<port> (the alias, the port used)
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

}  // namespace tether
