// The throwaway users made by tests/support/tt-users.sh (ctest fixture
// "users"): tt_alice may become tt_bob with her own password, tt_carol may not
// sudo at all; each has the password "pw-<name>".
#pragma once

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace tt {

inline std::string password_of(const std::string& user) {
    return "pw-" + user;
}

inline int uid_of(const std::string& user) {
    passwd* pw = ::getpwnam(user.c_str());
    return pw ? static_cast<int>(pw->pw_uid) : -1;
}

inline bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

// In a fixture's SetUp: when `missing` says why `what` cannot run here, skips
// the test, or under CI (which must run everything) fails it. The caller
// then returns if IsSkipped() or HasFailure().
inline void require(const std::string& what, const std::string& missing) {
    if (missing.empty()) {
        return;
    }
    if (in_ci()) {
        FAIL() << "CI must run " << what << ": " << missing;
    }
    GTEST_SKIP() << missing;
}

// Tests that switch users: skipped without root or without the users (run
// them through ctest, which sets the users up), never skipped under CI.
class Users : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string missing;
        if (::geteuid() != 0) {
            missing = "not running as root";
        } else if (uid_of("tt_alice") < 0 || uid_of("tt_bob") < 0 || uid_of("tt_carol") < 0) {
            missing = "the tt_ users are missing (ctest runs tests/support/tt-users.sh setup)";
        } else if (::access("/usr/bin/sudo", X_OK) != 0) {
            missing = "sudo is not installed";
        }
        require("the sudo/su tests", missing);
    }

    // A fresh cache directory for `user`, to pass as XDG_CACHE_HOME.
    static std::string fresh_cache_for(const std::string& user, const std::string& stem) {
        std::string dir = "/tmp/tt-cache-" + stem + "-" + std::to_string(::getpid());
        std::string cmd = "rm -rf " + dir + " && mkdir -p " + dir + " && chown " + user + " " +
                          dir + " && chmod 700 " + dir;
        EXPECT_EQ(std::system(cmd.c_str()), 0);
        return dir;
    }
};

}  // namespace tt
