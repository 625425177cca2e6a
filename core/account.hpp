// Who this process runs as, read without NSS when the program is static:
// a static program cannot load the NSS modules of a target's C library, so
// it reads /etc/passwd itself. Internal.
#pragma once

#include <string>

namespace tether::detail {

// True for a static or static-pie program (no dynamic loader ran).
bool statically_linked();

// This process's user as the password database has it (HOME if it has no
// home there; the uid's digits if it has no name); thread-safe.
struct Account {
    std::string name;
    std::string home;
};
Account this_account();

}  // namespace tether::detail
