// The OpenSSH client config (~/.ssh/config, or a file given) applied to
// SshOptions, in the process that asked for the start (the master): libssh's
// own parser reads it into a session that is never connected, and the values
// are read back from there. Internal.
#pragma once

#include <string>
#include <vector>

#include "tether/options.hpp"
#include "transports/ssh/ssh_proxy_jump.hpp"

namespace tether::detail {

// What the config says about one host. Empty strings: not said.
struct SshConfigHost {
    std::string hostname;  // HostName, or the name looked up
    int port = 22;         // Port (22 when not said)
    std::string user;
    std::string identity_file;     // IdentityFile, expanded (~, %d, %h, %r, %u, %p)
    std::string known_hosts_file;  // UserKnownHostsFile, expanded
    std::vector<JumpHop> jumps;    // ProxyJump, first to last
};

// Looks `host` up in `config_file` (empty: ~/.ssh/config, then
// /etc/ssh/ssh_config). `user`: the login already chosen (empty: none), which
// the config's User does not replace. Throws tether::Error with libssh's
// words for a line it cannot parse, and for a ProxyCommand (never run).
SshConfigHost read_ssh_config(const std::string& host, const std::string& user,
                              const std::string& config_file);

// `options` with what the config says filling the fields left at their
// defaults (hostname is looked up and replaced by HostName; port 22 counts
// as a default). Sets use_config to false: the options are settled, and
// travel so to a `via` context. Returns the ProxyJump hosts (none when
// options.via is set: an explicit `via` wins). Throws tether::Error.
std::vector<JumpHop> apply_ssh_config(SshOptions& options);

}  // namespace tether::detail
