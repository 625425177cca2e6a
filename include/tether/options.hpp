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

// This program forked, cheaply, here or inside `via`: a child of this
// router's fork server, a copy of the program started once (at the first
// fork) before any thread existed in it. The child has what the program had
// after its static initialization and nothing else: not the state of the
// process that asked for it. Its environment is the fork server's (this
// process's when the server started) plus `env`.
struct ForkOptions {
    std::string name = {};         // default fork.<pid>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

// The common fields every method ends with, in shared/API.md's order, are
// repeated in each struct below: options are flat aggregates (no base), so
// designated initializers can name every field.

// A Docker container, through the docker command:
// `docker exec --interactive [--user=U] CONTAINER /bin/sh -c <bootstrap>`,
// or, given an image instead, a fresh container that is removed when the
// context ends: `docker run --interactive --rm [--user=U] IMAGE ...`. The
// program is shipped into the container and cached there.
struct DockerOptions {
    std::string container = {};  // a running container; or
    std::string image = {};      // an image to run (exactly one of the two)
    std::string username = {};   // --user; empty: the container's user
    std::string docker_path = "docker";
    std::string name = {};         // default docker.<container or image>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

// A Podman container:
// `podman exec --interactive [--user=U] -- CONTAINER /bin/sh -c <bootstrap>`.
struct PodmanOptions {
    std::string container = {};  // required
    std::string username = {};   // --user; empty: the container's user
    std::string podman_path = "podman";
    std::string name = {};         // default podman.<container>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

// An LXD (or Incus, with lxc_path = "incus") container or virtual machine
// through LXD's client: `lxc exec --mode=non-interactive CONTAINER --
// /bin/sh -c <bootstrap>`. (Mitogen's `lxd`; classic LXC's lxc-attach is
// not used.)
struct LxcOptions {
    std::string container = {};  // required
    std::string lxc_path = "lxc";
    std::string name = {};         // default lxc.<container>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

// A container of a Kubernetes pod:
// `kubectl [--context CTX] [-n NAMESPACE] [kubectl_args...] exec -i POD
// [-c CONTAINER] -- /bin/sh -c <bootstrap>`.
struct KubectlOptions {
    std::string pod = {};        // required
    std::string container = {};  // empty: the pod's default container
    // -n (`namespace` is a C++ keyword); empty: the kubeconfig's namespace.
    std::string kube_namespace = {};
    std::string kube_context = {};  // --context; empty: the current context
    std::string kubectl_path = "kubectl";
    // More global flags, placed before `exec` (e.g. {"--kubeconfig", path}).
    std::vector<std::string> kubectl_args = {};
    std::string name = {};         // default kubectl.<pod>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

// The namespaces of a running process, or a named network namespace,
// entered through util-linux nsenter (run as root):
// `nsenter --target PID --mount --uts --ipc --net --pid --root -- /bin/sh
// -c <bootstrap>`, or `nsenter --net=/run/netns/NAME -- ...`. Exactly one of
// pid and net.
struct SetnsOptions {
    int pid = 0;           // a process whose namespaces (and root) to enter; 0: none
    std::string net = {};  // a network namespace under /run/netns (ip netns add)
    // Run as this user, looked up in the target's /etc/passwd; empty: as root.
    std::string username = {};
    std::string nsenter_path = "nsenter";
    std::string name = {};         // default setns.pid.<pid> or setns.net.<net>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

// Another user on this machine, through OpenBSD's doas (Debian's `opendoas`).
// The bootstrap runs as `doas [-n] -u <username> -- /bin/sh -c <script>`;
// doas prompts on a pseudo-terminal (its stderr and controlling terminal)
// that only tether reads, and the password is written there once (never on a
// command line, never in a log).
struct DoasOptions {
    std::string username = "root";
    // Needed when the doas.conf rule lacks `nopass`. Not given: doas runs with
    // -n and no terminal, and if it would ask, ConnectError "doas: a password
    // is required" at once. Wrong: "doas: incorrect password". No rule for
    // this user: ConnectError with doas's own words ("Operation not
    // permitted").
    std::optional<Secret> password = std::nullopt;
    std::string doas_path = "doas";
    std::string name = {};         // default doas.<username>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

// This program inside another root directory on this machine, through
// chroot(8): `chroot [--userspec=<username>] <path> /bin/sh -c <script>`. The
// program is shipped into the root and cached there, so the root needs
// nothing but /bin/sh (and what the program itself needs to run there).
// Needs root (CAP_SYS_CHROOT) where it starts.
struct ChrootOptions {
    std::string path = {};      // required: the new root
    std::string username = {};  // "": stay root; else --userspec=<username>
    std::string chroot_path = "chroot";
    std::string name = {};         // default chroot.<path>
    std::string remote_name = {};  // default tether:<user>@<host>:<pid>
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    std::optional<Context> via = std::nullopt;
    bool debug = false;
    std::map<std::string, std::string> env = {};
};

}  // namespace tether
