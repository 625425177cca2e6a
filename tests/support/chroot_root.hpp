// A root directory for a stand-in container: this machine's /usr, /etc (and
// /bin, /lib, /lib64, /sbin, as symlinks where the host has merged /usr)
// bind-mounted read-only, /proc and /dev bound as they are, and empty
// writable /tmp and /root of its own. Resource: the constructor mounts, and
// whatever step fails, what it mounted is unmounted before the exception
// leaves; the destructor unmounts everything and removes the directory.
// Needs root.
#pragma once

#include <string>
#include <vector>

namespace tt {

class ChrootRoot {
  public:
    // Throws std::runtime_error naming the mount that failed.
    ChrootRoot();
    ~ChrootRoot();
    ChrootRoot(const ChrootRoot&) = delete;
    ChrootRoot& operator=(const ChrootRoot&) = delete;

    const std::string& path() const { return path_; }

  private:
    void bind(const std::string& from, bool read_only);
    void tear_down() noexcept;

    std::string path_;
    std::vector<std::string> mounts_;  // in the order they were made
};

}  // namespace tt
