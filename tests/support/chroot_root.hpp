// A root directory for the chroot tests, made from this machine's own files:
// read-only bind mounts of /usr and /etc (and /bin, /lib, /lib64, /sbin,
// as symlinks where the host's are, else bound too), /dev (writable: the
// bootstrap writes to /dev/null), /proc, and writable
// /tmp and /root directories of its own. Everything is unmounted and removed
// when it goes. Needs root; `error()` says why it could not be made.
#pragma once

#include <string>
#include <vector>

namespace tt {

class ChrootRoot {
  public:
    ChrootRoot();
    ~ChrootRoot();
    ChrootRoot(const ChrootRoot&) = delete;
    ChrootRoot& operator=(const ChrootRoot&) = delete;

    const std::string& path() const { return path_; }
    // Empty when the root is ready; otherwise what failed.
    const std::string& error() const { return error_; }

  private:
    void bind_read_only(const std::string& from, const std::string& to);

    std::string path_;
    std::string error_;
    std::vector<std::string> mounts_;  // in the order made
};

}  // namespace tt
