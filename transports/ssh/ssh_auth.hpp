// SSH user authentication as a non-blocking state machine: none (to learn the
// server's methods), then the agent, then key files, then the password (as
// `password`, or answering `keyboard-interactive`'s hidden prompts). Each
// attempt is remembered for the error a person reads. Internal; broker
// thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tether/secret.hpp"
#include "transports/ssh/libssh_api.hpp"

namespace tether::detail {

struct SshCredentials {
    std::string username;
    std::vector<std::string> key_files;  // tried in order (missing ones are skipped)
    std::optional<Secret> password;
    bool use_agent = true;
};

class SshAuth {
  public:
    enum class Result { again, success, failure };

    SshAuth(const LibSsh& api, ssh_session session, SshCredentials credentials);
    ~SshAuth();
    SshAuth(const SshAuth&) = delete;
    SshAuth& operator=(const SshAuth&) = delete;

    // Call again after `again` once the socket has news.
    Result step();
    // "tried: publickey with the agent (refused), ...; the server accepts:
    // publickey, password".
    std::string report() const;

  private:
    enum class Stage { none, agent, key, password, kbdint, done };
    // Maps a libssh answer; `what` names the attempt in the report.
    Result settle(int rc, const std::string& what);
    void next_stage();
    bool offered(int method) const { return (methods_ & method) != 0; }

    const LibSsh& api_;
    ssh_session session_;
    SshCredentials credentials_;
    Stage stage_ = Stage::none;
    int methods_ = 0;
    std::size_t key_index_ = 0;
    ssh_key key_ = nullptr;  // the key file being offered
    bool kbdint_answered_ = false;
    std::vector<std::string> tried_;
    std::string error_;
};

}  // namespace tether::detail
