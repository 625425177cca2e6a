// Checking an SSH server's host key against an OpenSSH known_hosts file, by
// policy: enforce (unknown or changed: refused), accept_new (unknown:
// recorded; changed: refused), ignore. Internal; broker thread.
#pragma once

#include <optional>
#include <string>

#include "tether/options.hpp"
#include "transports/ssh/libssh_api.hpp"

namespace tether::detail {

struct HostKeyCheck {
    std::string fingerprint;             // "ssh-ed25519 SHA256:...", or empty if unreadable
    std::optional<std::string> refusal;  // set: the connection must not go on, and why
    bool recorded = false;               // accept_new wrote the key to the file
};

// `endpoint` is "host:port" as the user named it, for messages.
HostKeyCheck check_host_key(const LibSsh& api, ssh_session session, HostKeyPolicy policy,
                            const std::string& known_hosts_file, const std::string& host, int port);

}  // namespace tether::detail
