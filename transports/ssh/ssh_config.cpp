#include "transports/ssh/ssh_config.hpp"

#include <unistd.h>

#include <memory>

#include "parent/start_child.hpp"
#include "tether/errors.hpp"
#include "transports/ssh/libssh_api.hpp"

namespace tether::detail {
namespace {

constexpr const char* kGlobalConfig = "/etc/ssh/ssh_config";

struct FreeSession {
    void operator()(ssh_session s) const { libssh().ssh_free(s); }
};
using Session = std::unique_ptr<ssh_session_struct, FreeSession>;

// A string option read back from the session; empty if it has none.
std::string get(const LibSsh& api, ssh_session s, ssh_options_e option) {
    char* value = nullptr;
    if (api.ssh_options_get(s, option, &value) != SSH_OK || value == nullptr) {
        return {};
    }
    std::string out(value);
    api.ssh_string_free_char(value);
    return out;
}

// The escapes OpenSSH and libssh expand in IdentityFile and
// UserKnownHostsFile (libssh keeps them unexpanded until it connects).
std::string expand(const std::string& path, const SshConfigHost& host, const Account& me) {
    std::string out;
    std::size_t i = 0;
    if (path.rfind("~/", 0) == 0 || path == "~") {
        out = me.home;
        i = 1;
    }
    for (; i < path.size(); ++i) {
        if (path[i] != '%' || i + 1 == path.size()) {
            out += path[i];
            continue;
        }
        switch (path[++i]) {
            case 'd':
                out += me.home + "/.ssh";
                break;
            case 'h':
                out += host.hostname;
                break;
            case 'r':
                out += host.user.empty() ? me.name : host.user;
                break;
            case 'u':
                out += me.name;
                break;
            case 'p':
                out += std::to_string(host.port);
                break;
            case 'l': {
                char name[256] = {0};
                ::gethostname(name, sizeof name - 1);
                out += name;
                break;
            }
            default:  // %% and what neither knows
                out += path[i];
        }
    }
    return out;
}

std::string expand_tilde(const std::string& path, const Account& me) {
    return path.rfind("~/", 0) == 0 ? me.home + path.substr(1) : path;
}

}  // namespace

SshConfigHost read_ssh_config(const std::string& host, const std::string& user,
                              const std::string& config_file) {
    const LibSsh& api = libssh();
    const Account me = this_account();
    const std::string file = expand_tilde(config_file, me);
    const std::string where = file.empty() ? "~/.ssh/config" : file;
    if (!file.empty() && ::access(file.c_str(), R_OK) != 0) {
        throw Error("ssh: cannot read the config file " + file);
    }
    Session session(api.ssh_new());
    if (!session) {
        throw Error("ssh: libssh could not make a session");
    }
    ssh_session s = session.get();
    // libssh reads "user@host:port" here; an IPv6 address needs brackets.
    std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (api.ssh_options_set(s, SSH_OPTIONS_HOST, name.c_str()) != SSH_OK ||
        (!user.empty() && api.ssh_options_set(s, SSH_OPTIONS_USER, user.c_str()) != SSH_OK)) {
        throw Error("ssh: '" + host + "' cannot be looked up in " + where + ": " +
                    api.ssh_get_error(s));
    }
    std::vector<std::string> said;
    {
        LibSshLogCapture capture(said);
        if (api.ssh_options_parse_config(s, file.empty() ? nullptr : file.c_str()) < 0) {
            // Some errors libssh sets on the session, others it only logs.
            std::string why = api.ssh_get_error(s);
            for (const std::string& line : said) {
                why += (why.empty() ? "" : "; ") + line;
            }
            throw Error("ssh: libssh cannot parse " + where + ": " +
                        (why.empty() ? "no reason given" : why));
        }
    }
    SshConfigHost out;
    out.hostname = get(api, s, SSH_OPTIONS_HOST);
    unsigned int port = 22;
    api.ssh_options_get_port(s, &port);
    out.port = static_cast<int>(port);
    out.user = user.empty() ? get(api, s, SSH_OPTIONS_USER) : user;
    // libssh 0.10 gives back one identity: the last IdentityFile that applied
    // (each is put first), else its own first default.
    std::string identity = get(api, s, SSH_OPTIONS_IDENTITY);
    bool libssh_default = identity.empty() || identity == "%d/id_ed25519" ||
                          identity == "%d/id_ecdsa" || identity == "%d/id_rsa" ||
                          identity == "%d/id_dsa";
    if (!libssh_default) {
        out.identity_file = expand(identity, out, me);
    }
    std::string known = get(api, s, SSH_OPTIONS_KNOWNHOSTS);
    out.known_hosts_file = known.empty() ? "" : expand(known, out, me);

    std::vector<ConfigFile> files;
    if (file.empty()) {
        files = {{me.home + "/.ssh/config", false}, {kGlobalConfig, true}};
    } else {
        files = {{file, false}};
    }
    ConfigFacts facts{host, out.hostname, out.user.empty() ? me.name : out.user, me.name, me.home};
    if (auto proxy = find_proxy_setting(files, facts)) {
        if (proxy->keyword == "proxycommand" && proxy->value != "none") {
            throw Error("ssh: " + proxy->where + " gives '" + host + "' a ProxyCommand (" +
                        proxy->value +
                        "), which tether does not run: use ProxyJump, or use_config = false");
        }
        if (proxy->keyword == "proxyjump") {
            out.jumps = parse_proxy_jump(proxy->value);
        }
    }
    return out;
}

std::vector<JumpHop> apply_ssh_config(SshOptions& options) {
    if (!options.use_config || options.hostname.empty()) {
        return {};
    }
    SshConfigHost host = read_ssh_config(options.hostname, options.username, options.config_file);
    options.hostname = host.hostname.empty() ? options.hostname : host.hostname;
    options.port = options.port == 22 ? host.port : options.port;
    options.username = host.user;
    options.identity_file =
        options.identity_file.empty() ? host.identity_file : options.identity_file;
    options.known_hosts_file =
        options.known_hosts_file.empty() ? host.known_hosts_file : options.known_hosts_file;
    options.use_config = false;
    return options.via ? std::vector<JumpHop>{} : host.jumps;
}

}  // namespace tether::detail
