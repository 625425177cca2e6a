#include "support/roots.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace tt {
namespace {

namespace fs = std::filesystem;

// Written last: a root without it is a make that was cut short.
constexpr const char* kComplete = ".tether-root-complete";

std::string cache_dir() {
    const char* base = std::getenv("TETHER_TEST_CACHE");
    return std::string(base && *base ? base : "/var/cache/tether-test") + "/roots";
}

std::string last_lines(const std::string& path, int count) {
    std::ifstream file(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(file, line);) {
        lines.push_back(line);
    }
    std::string out;
    for (std::size_t i = lines.size() > static_cast<std::size_t>(count) ? lines.size() - count : 0;
         i < lines.size(); ++i) {
        out += (out.empty() ? "" : " | ") + lines[i];
    }
    return out;
}

// Holds an exclusive lock on <cache>/.lock: one test process makes a root,
// the others wait for it and then find it made.
class CacheLock {
  public:
    explicit CacheLock(const std::string& dir) {
        fs::create_directories(dir);
        fd_ = ::open((dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) {
            throw std::runtime_error("cannot lock " + dir + "/.lock: " + std::strerror(errno));
        }
    }
    ~CacheLock() { ::close(fd_); }
    CacheLock(const CacheLock&) = delete;
    CacheLock& operator=(const CacheLock&) = delete;

  private:
    int fd_ = -1;
};

// `make(tmp, log)` fills the directory `tmp`; returns "" or why it failed.
template <class Make>
Root cached(const std::string& name, Make make) {
    std::string dir = cache_dir();
    CacheLock lock(dir);
    std::string path = dir + "/" + name;
    if (fs::exists(path + "/" + kComplete)) {
        return {path, ""};
    }
    std::string tmp = path + ".partial";
    std::string log = dir + "/" + name + ".log";
    fs::remove_all(tmp);
    fs::remove_all(path);
    fs::create_directories(tmp);
    if (std::string why = make(tmp, log); !why.empty()) {
        fs::remove_all(tmp);
        return {"", why};
    }
    std::ofstream(tmp + "/" + kComplete) << "made by the tether tests\n";
    fs::rename(tmp, path);
    return {path, ""};
}

}  // namespace

Root bullseye_root() {
    if (std::system("command -v debootstrap >/dev/null") != 0) {
        return {"", "debootstrap is not installed (scripts/install-deps.sh --test installs it)"};
    }
    return cached("bullseye", [](const std::string& tmp, const std::string& log) -> std::string {
        const char* mirror = std::getenv("TETHER_DEBIAN_MIRROR");
        std::string command = "debootstrap --variant=minbase bullseye " + tmp + " " +
                              (mirror && *mirror ? mirror : "http://deb.debian.org/debian") + " >" +
                              log + " 2>&1";
        if (std::system(command.c_str()) != 0) {
            return "debootstrap of Debian 11 failed (is Debian's package registry reachable?): " +
                   last_lines(log, 3);
        }
        return "";
    });
}

Root busybox_root() {
    if (::access("/bin/busybox", X_OK) != 0) {
        return {"", "/bin/busybox is missing (package busybox-static)"};
    }
    return cached("busybox", [](const std::string& tmp, const std::string& log) -> std::string {
        for (const char* d : {"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/dev", "/tmp"}) {
            fs::create_directories(tmp + d);
        }
        fs::permissions(tmp + "/tmp", fs::perms::all | fs::perms::sticky_bit);
        // Every root has /dev/null; the bootstrap writes to it.
        if (::mknod((tmp + "/dev/null").c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0) {
            return "cannot make /dev/null in the root: " + std::string(std::strerror(errno));
        }
        ::chmod((tmp + "/dev/null").c_str(), 0666);
        fs::copy_file("/bin/busybox", tmp + "/bin/busybox");
        // Inside the root, so that the links point at /bin/busybox there.
        std::string command = "chroot " + tmp + " /bin/busybox --install -s >" + log + " 2>&1";
        if (std::system(command.c_str()) != 0) {
            return "busybox --install failed: " + last_lines(log, 3);
        }
        return "";
    });
}

ProcMount::ProcMount(const std::string& root) : target_(root + "/proc") {
    fs::create_directories(target_);
    if (::mount("proc", target_.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
        throw std::runtime_error("cannot mount proc on " + target_ + ": " + std::strerror(errno));
    }
}

ProcMount::~ProcMount() {
    ::umount2(target_.c_str(), MNT_DETACH);
}

}  // namespace tt
