// SHA-256 (FIPS 180-4), to name the program shipped to a target by its
// content. None of tether's allowed libraries offers it (Boost has SHA-1 and
// MD5 only), so it is written out here; tests check it against known vectors
// and against the target's own `sha256sum`. Internal.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tether::detail {

class Sha256 {
  public:
    Sha256();
    void update(const void* data, std::size_t size);
    // The digest as 64 lowercase hex digits. Call once.
    std::string hex_digest();

  private:
    void compress(const unsigned char* block);

    std::array<std::uint32_t, 8> state_;
    std::array<unsigned char, 64> buffer_{};
    std::size_t buffered_ = 0;
    std::uint64_t total_ = 0;
};

std::string sha256_hex(const void* data, std::size_t size);

}  // namespace tether::detail
