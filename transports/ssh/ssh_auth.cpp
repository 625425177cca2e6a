#include "transports/ssh/ssh_auth.hpp"

#include <unistd.h>

#include <cstdlib>

namespace tether::detail {

SshAuth::SshAuth(const LibSsh& api, ssh_session session, SshCredentials credentials)
    : api_(api), session_(session), credentials_(std::move(credentials)) {}

SshAuth::~SshAuth() {
    if (key_ != nullptr) {
        api_.ssh_key_free(key_);
    }
}

SshAuth::Result SshAuth::settle(int rc, const std::string& what) {
    switch (rc) {
        case SSH_AUTH_AGAIN:
            return Result::again;
        case SSH_AUTH_SUCCESS:
            stage_ = Stage::done;
            return Result::success;
        case SSH_AUTH_PARTIAL:
            tried_.push_back(what + " (accepted, but the server wants more)");
            break;
        case SSH_AUTH_ERROR:
            error_ = api_.ssh_get_error(session_);
            return Result::failure;
        default:
            if (!what.empty()) {
                tried_.push_back(what + " (refused)");
            }
            break;
    }
    methods_ = api_.ssh_userauth_list(session_, nullptr);
    next_stage();
    return step();
}

void SshAuth::next_stage() {
    switch (stage_) {
        case Stage::none:
            stage_ = Stage::agent;
            break;
        case Stage::agent:
            stage_ = Stage::key;
            break;
        case Stage::key:
            if (key_ != nullptr) {
                api_.ssh_key_free(key_);
                key_ = nullptr;
            }
            if (++key_index_ < credentials_.key_files.size()) {
                return;
            }
            stage_ = Stage::password;
            break;
        case Stage::password:
            stage_ = Stage::kbdint;
            break;
        default:
            stage_ = Stage::done;
            break;
    }
}

SshAuth::Result SshAuth::step() {
    for (;;) {
        switch (stage_) {
            case Stage::none:
                return settle(api_.ssh_userauth_none(session_, nullptr), "");
            case Stage::agent: {
                if (!credentials_.use_agent || !offered(SSH_AUTH_METHOD_PUBLICKEY)) {
                    next_stage();
                    continue;
                }
                const char* socket = std::getenv("SSH_AUTH_SOCK");
                if (socket == nullptr || *socket == '\0') {
                    tried_.push_back("publickey with the agent (no agent: SSH_AUTH_SOCK is unset)");
                    next_stage();
                    continue;
                }
                return settle(api_.ssh_userauth_agent(session_, nullptr),
                              "publickey with the agent");
            }
            case Stage::key: {
                if (key_index_ >= credentials_.key_files.size() ||
                    !offered(SSH_AUTH_METHOD_PUBLICKEY)) {
                    stage_ = Stage::password;
                    continue;
                }
                const std::string& file = credentials_.key_files[key_index_];
                if (key_ == nullptr) {
                    if (::access(file.c_str(), F_OK) != 0) {
                        tried_.push_back("publickey " + file + " (no such file)");
                        next_stage();
                        continue;
                    }
                    // Never a passphrase prompt: without a callback, OpenSSL would
                    // ask on the terminal and block the broker thread.
                    auto no_passphrase = [](const char*, char*, size_t, int, int, void*) {
                        return SSH_ERROR;
                    };
                    if (api_.ssh_pki_import_privkey_file(file.c_str(), nullptr, no_passphrase,
                                                         nullptr, &key_) != SSH_OK) {
                        key_ = nullptr;
                        tried_.push_back("publickey " + file +
                                         " (cannot read it: unreadable, not a private key, or "
                                         "protected by a passphrase)");
                        next_stage();
                        continue;
                    }
                }
                return settle(api_.ssh_userauth_publickey(session_, nullptr, key_),
                              "publickey " + file);
            }
            case Stage::password:
                if (!credentials_.password || !offered(SSH_AUTH_METHOD_PASSWORD)) {
                    next_stage();
                    continue;
                }
                return settle(api_.ssh_userauth_password(session_, nullptr,
                                                         credentials_.password->reveal().c_str()),
                              "password");
            case Stage::kbdint: {
                if (!credentials_.password || !offered(SSH_AUTH_METHOD_INTERACTIVE)) {
                    next_stage();
                    continue;
                }
                int rc = api_.ssh_userauth_kbdint(session_, nullptr, nullptr);
                if (rc != SSH_AUTH_INFO) {
                    return settle(rc, "keyboard-interactive with the password");
                }
                // Hidden prompts get the password, once; a second round that
                // asks again means it was wrong.
                int prompts = api_.ssh_userauth_kbdint_getnprompts(session_);
                bool asked = false;
                for (int i = 0; i < prompts; ++i) {
                    char echo = 0;
                    api_.ssh_userauth_kbdint_getprompt(session_, static_cast<unsigned>(i), &echo);
                    asked = asked || echo == 0;
                    const char* answer = echo == 0 && !kbdint_answered_
                                             ? credentials_.password->reveal().c_str()
                                             : "";
                    api_.ssh_userauth_kbdint_setanswer(session_, static_cast<unsigned>(i), answer);
                }
                if (asked && kbdint_answered_) {
                    tried_.push_back("keyboard-interactive with the password (refused)");
                    next_stage();
                    continue;
                }
                kbdint_answered_ = kbdint_answered_ || asked;
                continue;  // sends the answers
            }
            case Stage::done:
                return Result::failure;
        }
    }
}

std::string SshAuth::report() const {
    std::string out = "ssh: authentication as '" + credentials_.username + "' failed";
    if (!error_.empty()) {
        out += " (" + error_ + ")";
    }
    out += "; tried: ";
    if (tried_.empty()) {
        out += "nothing (no agent, no key file, no password for the methods offered)";
    }
    for (std::size_t i = 0; i < tried_.size(); ++i) {
        out += (i ? ", " : "") + tried_[i];
    }
    out += "; the server accepts:";
    static const std::pair<int, const char*> kMethods[] = {
        {SSH_AUTH_METHOD_PUBLICKEY, "publickey"},
        {SSH_AUTH_METHOD_PASSWORD, "password"},
        {SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive"},
        {SSH_AUTH_METHOD_HOSTBASED, "hostbased"},
        {SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic"}};
    bool any = false;
    for (const auto& [bit, name] : kMethods) {
        if ((methods_ & bit) != 0) {
            out += std::string(any ? ", " : " ") + name;
            any = true;
        }
    }
    if (!any) {
        out += " (none it named)";
    }
    return out;
}

}  // namespace tether::detail
