#include "support/chroot_root.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace tt {

namespace fs = std::filesystem;

ChrootRoot::ChrootRoot() {
    char dir[] = "/tmp/tt-chroot-XXXXXX";
    if (::mkdtemp(dir) == nullptr) {
        error_ = std::string("mkdtemp: ") + std::strerror(errno);
        return;
    }
    path_ = dir;
    ::chmod(dir, 0755);
    for (const char* name : {"usr", "etc", "bin", "lib", "lib64", "sbin"}) {
        const std::string host = std::string("/") + name;
        const std::string inside = path_ + host;
        std::error_code ec;
        if (fs::is_symlink(host, ec)) {
            // Merged /usr: the same symlink (usr/bin, ...) inside.
            fs::create_symlink(fs::read_symlink(host, ec), inside, ec);
        } else if (fs::is_directory(host, ec)) {
            bind_read_only(host, inside);
        }
        if (!error_.empty()) {
            return;
        }
    }
    std::error_code ec;
    // The bootstrap writes to /dev/null: the host's /dev, bound writable
    // (a device node on a read-only mount cannot be opened for writing).
    fs::create_directory(path_ + "/dev", ec);
    if (::mount("/dev", (path_ + "/dev").c_str(), nullptr, MS_BIND, nullptr) != 0) {
        error_ = std::string("bind mount /dev: ") + std::strerror(errno);
        return;
    }
    mounts_.push_back(path_ + "/dev");
    fs::create_directory(path_ + "/proc", ec);
    if (::mount("proc", (path_ + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                nullptr) != 0) {
        error_ = std::string("mount proc: ") + std::strerror(errno);
        return;
    }
    mounts_.push_back(path_ + "/proc");
    fs::create_directory(path_ + "/tmp", ec);
    ::chmod((path_ + "/tmp").c_str(), 01777);
    fs::create_directory(path_ + "/root", ec);
    ::chmod((path_ + "/root").c_str(), 0700);
}

void ChrootRoot::bind_read_only(const std::string& from, const std::string& to) {
    std::error_code ec;
    fs::create_directory(to, ec);
    // A bind mount is read-only only once remounted so.
    if (::mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        error_ = "bind mount " + from + ": " + std::strerror(errno);
        return;
    }
    mounts_.push_back(to);
    if (::mount(nullptr, to.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
        error_ = "read-only remount of " + to + ": " + std::strerror(errno);
    }
}

ChrootRoot::~ChrootRoot() {
    bool all_gone = true;
    for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) {
        if (::umount2(it->c_str(), MNT_DETACH) != 0) {
            all_gone = false;
        }
    }
    // Never remove through a mount that is still there: that would be the
    // host's /usr.
    if (all_gone && !path_.empty()) {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
}

}  // namespace tt
