#include "transports/ssh/ssh_host_key.hpp"

namespace tether::detail {
namespace {

std::string fingerprint_of(const LibSsh& api, ssh_session session) {
    ssh_key key = nullptr;
    if (api.ssh_get_server_publickey(session, &key) != SSH_OK) {
        return {};
    }
    std::string out = api.ssh_key_type_to_char(api.ssh_key_type(key));
    unsigned char* hash = nullptr;
    size_t length = 0;
    if (api.ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0) {
        if (char* text = api.ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length)) {
            out += ' ';
            out += text;
            api.ssh_string_free_char(text);
        }
        api.ssh_clean_pubkey_hash(&hash);
    }
    api.ssh_key_free(key);
    return out;
}

// How OpenSSH names the host in known_hosts and in ssh-keygen -R.
std::string known_hosts_name(const std::string& host, int port) {
    return port == 22 ? host : "[" + host + "]:" + std::to_string(port);
}

}  // namespace

HostKeyCheck check_host_key(const LibSsh& api, ssh_session session, HostKeyPolicy policy,
                            const std::string& known_hosts_file, const std::string& host,
                            int port) {
    HostKeyCheck check;
    check.fingerprint = fingerprint_of(api, session);
    if (policy == HostKeyPolicy::ignore) {
        return check;
    }
    const std::string name = known_hosts_name(host, port);
    const std::string key = check.fingerprint.empty() ? "unreadable key" : check.fingerprint;
    switch (api.ssh_session_is_known_server(session)) {
        case SSH_KNOWN_HOSTS_OK:
            return check;
        case SSH_KNOWN_HOSTS_CHANGED:
        case SSH_KNOWN_HOSTS_OTHER:
            // OTHER: a key of another type is on file; OpenSSH refuses that too.
            check.refusal = "ssh: the host key of " + name + " has CHANGED: the server offers " +
                            key + ", which does not match the key for " + name + " in " +
                            known_hosts_file +
                            ". Someone may be intercepting the connection, or the host was "
                            "reinstalled; if the change is expected, remove the old key with "
                            "`ssh-keygen -R '" +
                            name + "' -f " + known_hosts_file + "`";
            return check;
        case SSH_KNOWN_HOSTS_UNKNOWN:
        case SSH_KNOWN_HOSTS_NOT_FOUND:
            if (policy == HostKeyPolicy::accept_new) {
                if (api.ssh_session_update_known_hosts(session) != SSH_OK) {
                    check.refusal = "ssh: cannot record the host key of " + name + " (" + key +
                                    ") in " + known_hosts_file + ": " + api.ssh_get_error(session);
                } else {
                    check.recorded = true;
                }
                return check;
            }
            check.refusal = "ssh: the host key of " + name + " is unknown: the server offers " +
                            key + ", and " + known_hosts_file +
                            " has no key for it (check the fingerprint, then add the key, e.g. "
                            "with `ssh-keyscan -p " +
                            std::to_string(port) + " " + host + " >> " + known_hosts_file +
                            "`, or start with check_host_keys = accept_new)";
            return check;
        case SSH_KNOWN_HOSTS_ERROR:
        default:
            check.refusal = "ssh: cannot check the host key of " + name + " (" + key +
                            ") against " + known_hosts_file + ": " + api.ssh_get_error(session);
            return check;
    }
}

}  // namespace tether::detail
