// The program a command-line method ships to its target: this process's own
// executable, mapped read-only once and named by its SHA-256. Internal.
#pragma once

#include <cstddef>
#include <string>

namespace tether::detail {

struct ProgramImage {
    const unsigned char* data = nullptr;
    std::size_t size = 0;
    std::string sha256;  // 64 lowercase hex digits
};

// Any thread. The first call maps /proc/self/exe and hashes it (about 0.1 s
// for a 40 MB test binary); later calls return the same image. Throws
// tether::Error if the executable cannot be read.
const ProgramImage& this_program();

}  // namespace tether::detail
