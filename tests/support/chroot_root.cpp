#include "support/chroot_root.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tt {

namespace fs = std::filesystem;

namespace {

// Whether anything is mounted at or under `dir` in this mount namespace.
bool mounted_below(const std::string& dir) {
    std::ifstream mounts("/proc/self/mountinfo");
    std::string id, parent, device, root, mount_point;
    std::string line;
    while (std::getline(mounts, line)) {
        std::istringstream fields(line);
        fields >> id >> parent >> device >> root >> mount_point;
        if (mount_point == dir || mount_point.starts_with(dir + "/")) {
            return true;
        }
    }
    return !mounts.eof();  // unreadable: assume the worst
}

}  // namespace

ChrootRoot::ChrootRoot() {
    char dir[] = "/tmp/tt-chroot-XXXXXX";
    if (::mkdtemp(dir) == nullptr) {
        throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    }
    path_ = dir;
    ::chmod(dir, 0755);
    try {
        for (const char* top : {"/usr", "/etc", "/bin", "/lib", "/lib64", "/sbin"}) {
            std::error_code ec;
            if (fs::is_symlink(top, ec)) {  // merged /usr: the same link here
                fs::create_symlink(fs::read_symlink(top), path_ + top);
            } else if (fs::is_directory(top, ec)) {
                bind(top, true);
            }
        }
        bind("/proc", false);
        bind("/dev", false);
        fs::create_directory(path_ + "/tmp");
        fs::permissions(path_ + "/tmp", fs::perms::all | fs::perms::sticky_bit);
        fs::create_directory(path_ + "/root");
        fs::permissions(path_ + "/root", fs::perms::owner_all);
    } catch (...) {
        tear_down();
        throw;
    }
}

ChrootRoot::~ChrootRoot() {
    tear_down();
}

void ChrootRoot::bind(const std::string& from, bool read_only) {
    std::string to = path_ + from;
    fs::create_directory(to);
    if (::mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        throw std::runtime_error("mount --bind " + from + " " + to + ": " + std::strerror(errno));
    }
    mounts_.push_back(to);
    // A bind mount takes MS_RDONLY only on a remount.
    if (read_only &&
        ::mount(nullptr, to.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
        throw std::runtime_error("remount read-only " + to + ": " + std::strerror(errno));
    }
}

void ChrootRoot::tear_down() noexcept {
    bool all_unmounted = true;
    for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) {
        // Detached if still busy: a process the test left would otherwise
        // keep the host's /usr mounted here.
        if (::umount2(it->c_str(), 0) != 0 && ::umount2(it->c_str(), MNT_DETACH) != 0) {
            all_unmounted = false;
        }
    }
    mounts_.clear();
    if (!all_unmounted || mounted_below(path_)) {
        return;  // never remove files through a mount of the host's
    }
    // What the container's tool added (podman: /run/.containerenv, /sys)
    // goes too.
    std::error_code ec;
    fs::remove_all(path_, ec);
}

}  // namespace tt
