// ProxyJump, read from the OpenSSH client config by tether itself: libssh
// 0.10 has no getter for it (it turns ProxyJump into a ProxyCommand that runs
// an `ssh` binary, which tether does not run), and later versions keep it
// private too. Only ProxyJump and ProxyCommand are read here; every other
// keyword comes from libssh's parser (ssh_config.hpp). Internal.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tether::detail {

// One config file to read, in order; a missing one is skipped.
struct ConfigFile {
    std::string path = {};
    bool global = false;  // relative Include paths: /etc/ssh/ (else ~/.ssh/)
};

// What `Host` and `Match` lines are matched against.
struct ConfigFacts {
    std::string original_host;  // the name given (Host, Match originalhost)
    std::string host;           // after HostName (Match host)
    std::string user;           // the remote user (Match user)
    std::string local_user;     // Match localuser
    std::string home;           // for ~ and ~/.ssh/
};

// The first ProxyJump or ProxyCommand line that applies (they share one
// slot, as in OpenSSH), or nullopt. Host patterns (`*`, `?`, `!`), Match
// all/host/originalhost/user/localuser (canonical and final are ignored; a
// Match with `exec` counts as not matching: tether runs no local commands)
// and Include (globs) are followed as OpenSSH does.
struct ProxySetting {
    std::string keyword;  // "proxyjump" or "proxycommand"
    std::string value;
    std::string where;  // FILE:LINE
};
std::optional<ProxySetting> find_proxy_setting(const std::vector<ConfigFile>& files,
                                               const ConfigFacts& facts);

// One host of a ProxyJump list, `[user@]host[:port]` or
// `ssh://[user@]host[:port]`, `[v6]:port` for IPv6.
struct JumpHop {
    std::string user = {};  // empty: not given
    std::string host = {};
    std::optional<int> port = {};
    std::string text = {};  // as written
};

// The hosts of a ProxyJump value, first to last ("none": none). Throws
// tether::Error naming the entry it cannot read.
std::vector<JumpHop> parse_proxy_jump(const std::string& value);

}  // namespace tether::detail
