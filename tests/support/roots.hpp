// Root directories for chroot tests of the portable program: a Debian 11
// (bullseye) minbase root, whose glibc 2.31 is older than the one this
// program is built against, and a root with nothing but busybox-static. Made
// once into a cache outside the build tree (/var/cache/tether-test/roots,
// or $TETHER_TEST_CACHE/roots), under a lock, and reused by every run.
#pragma once

#include <string>

namespace tt {

struct Root {
    std::string path;  // empty: the root could not be made
    std::string why;   // then: the reason, for GTEST_SKIP
};

// debootstrap --variant=minbase bullseye from Debian's mirror
// ($TETHER_DEBIAN_MIRROR, default http://deb.debian.org/debian). Minutes
// the first time; skipped with debootstrap's last words when the registry
// cannot be reached.
Root bullseye_root();

// /bin/busybox (from busybox-static), a link per applet, /dev/null and
// /tmp; nothing else.
Root busybox_root();

// /proc mounted inside a root for as long as this lives (a `local` start
// execs /proc/self/exe). Throws std::runtime_error when it cannot mount.
class ProcMount {
  public:
    explicit ProcMount(const std::string& root);
    ~ProcMount();
    ProcMount(const ProcMount&) = delete;
    ProcMount& operator=(const ProcMount&) = delete;

  private:
    std::string target_;
};

}  // namespace tt
