// The programs a command-line method ships to its target: this process's own
// executable without its debug sections, and, in a TETHER_PORTABLE build, the
// static-pie build of the same program that the executable carries in a
// section of its own. Each is named by its SHA-256. Internal.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace tether::detail {

class ProgramImage {
  public:
    const unsigned char* data = nullptr;
    std::size_t size = 0;
    std::string sha256;       // 64 lowercase hex digits
    std::string interpreter;  // its dynamic loader; "" for a static program
    std::string glibc;        // the newest glibc version it needs ("" for none)

    // The image as one gzip member, made on first use (any thread; a
    // third of a second for 7 MB, so never on the broker thread).
    const std::vector<unsigned char>& gzipped() const;
    bool gzip_ready() const noexcept;
    // Makes the gzip member on a thread of its own that ends when it is made
    // (or at once if it is), then calls `then` there; a failure to make it
    // is logged, and `then` finds gzip_ready() false.
    void gzip_in_background(std::function<void()> then) const;

    // The stripped copy `data` points into, when the image had debug sections.
    std::vector<unsigned char> stripped;

  private:
    mutable std::once_flag gzip_once_;
    mutable std::vector<unsigned char> gzip_;
    mutable std::atomic<bool> gzip_ready_{false};
    mutable std::mutex gzip_mutex_;
    mutable std::vector<std::function<void()>> gzip_waiters_;
    mutable bool gzip_done_ = false;         // made or failed
    mutable std::future<void> gzip_worker_;  // joined when the image goes
};

// Any thread. The first call maps /proc/self/exe, drops its debug sections
// and hashes it (a 42 MB RelWithDebInfo tool ships about 2 MB); later calls
// return the same image. Throws tether::Error if the executable cannot be read.
const ProgramImage& this_program();

// The portable (static-pie) image this executable carries, or nullptr.
const ProgramImage* portable_program();

}  // namespace tether::detail
