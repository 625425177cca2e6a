// What every fuzz target here shares: the libFuzzer entry point, and the seed
// inputs each target writes for its checked-in corpus (`--write-seeds DIR`
// in the GCC replay build). Under clang with -DTETHER_FUZZ=ON the same
// targets link against libFuzzer instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace tt::fuzz {

// Valid inputs that reach deep into the target, for the starting corpus.
std::vector<std::string> seeds();

// A seed: the byte that steers the target, then `parts` one after another.
// Appended, not joined with +: GCC 12 at -O3 reports a false -Wrestrict
// inside std::string's operator+ on such seeds.
inline std::string seed(char steer, std::initializer_list<std::string> parts) {
    std::string bytes(1, steer);
    for (const std::string& part : parts) {
        bytes.append(part);
    }
    return bytes;
}

}  // namespace tt::fuzz
