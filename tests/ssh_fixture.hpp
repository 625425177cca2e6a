// Tests against a real OpenSSH server on loopback (tests/support/sshd), one
// per test, logged into as the throwaway users of the "users" fixture or as
// root. Skipped where sshd or the users are missing, failed so under CI.
#pragma once

#include <memory>

#include "support/sshd.hpp"
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

    std::unique_ptr<Sshd> sshd_;
};

}  // namespace tt
