// Tests against a real OpenSSH server on loopback (tests/support/sshd), one
// per test, logged into as the throwaway users of the "users" fixture or as
// root. Skipped where sshd or the users are missing, failed so under CI.
#pragma once

#include <memory>
#include <string>

#include <tether/tether.hpp>

#include "sshd.hpp"
#include "users.hpp"

namespace tt {

class SshUsers : public Users {
  protected:
    void SetUp() override {
        Users::SetUp();
        if (IsSkipped() || HasFailure()) {
            return;
        }
        require("the SSH tests", Sshd::missing());
        if (IsSkipped() || HasFailure()) {
            return;
        }
        sshd_ = std::make_unique<Sshd>();
    }

    // Key authentication to this test's sshd as `user`, the server's key known.
    tether::SshOptions ssh_options(const std::string& user = "tt_bob") const {
        return {.hostname = sshd_->address(),
                .port = sshd_->port(),
                .username = user,
                .identity_file = sshd_->client_key(),
                .known_hosts_file = sshd_->known_hosts(),
                .use_agent = false};
    }

    std::unique_ptr<Sshd> sshd_;
};

}  // namespace tt
