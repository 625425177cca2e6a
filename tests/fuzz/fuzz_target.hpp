// What every fuzz target here shares: the libFuzzer entry point, and the seed
// inputs each target writes for its checked-in corpus (`--write-seeds DIR`
// in the GCC replay build). Under clang with -DTETHER_FUZZ=ON the same
// targets link against libFuzzer instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace tt::fuzz {

// Valid inputs that reach deep into the target, for the starting corpus.
std::vector<std::string> seeds();

}  // namespace tt::fuzz
