#include "core/account.hpp"

#include <pwd.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <vector>

namespace tether::detail {
namespace {

// "name:x:uid:gid:gecos:home:shell" lines; the first with our uid.
bool from_passwd_file(uid_t uid, Account& account) {
    std::ifstream file("/etc/passwd");
    std::string line;
    while (std::getline(file, line)) {
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (std::size_t colon; (colon = line.find(':', start)) != std::string::npos;
             start = colon + 1) {
            fields.push_back(line.substr(start, colon - start));
        }
        fields.push_back(line.substr(start));
        if (fields.size() >= 7 && fields[2] == std::to_string(uid)) {
            account.name = fields[0];
            account.home = fields[5];
            return true;
        }
    }
    return false;
}

bool from_nss(uid_t uid, Account& account) {
    // getpwuid_r: starts run on several threads at once (start_all).
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
        return false;
    }
    account.name = found->pw_name;
    account.home = found->pw_dir;
    return true;
}

}  // namespace

bool statically_linked() {
    // The kernel passes the dynamic loader's base address; 0: there is none.
    static const bool is_static = ::getauxval(AT_BASE) == 0;
    return is_static;
}

Account this_account() {
    Account account;
    uid_t uid = ::geteuid();
    if (!(statically_linked() ? from_passwd_file(uid, account) : from_nss(uid, account))) {
        account.name = std::to_string(uid);
    }
    if (account.home.empty()) {
        const char* home = std::getenv("HOME");
        account.home = home ? home : "/";
    }
    return account;
}

}  // namespace tether::detail
