// What the bootstrap needs to know about an executable before shipping it,
// read from its ELF headers: whether it needs a dynamic loader and which
// glibc, and the portable image a TETHER_PORTABLE build embeds. And the
// executable without its debug sections, which never travel. Internal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tether::detail {

// Name of the section in which tether_portable_executable() (cmake/) embeds
// the static-pie build of a program.
inline constexpr std::string_view kPortableSection = ".tether.portable";

struct ElfFacts {
    bool elf = false;         // a 64-bit little-endian ELF file we could read
    std::string interpreter;  // PT_INTERP ("" for a static or static-pie program)
    std::string glibc;        // the newest GLIBC_x.y it needs ("" for none), e.g. "2.34"
    // The embedded portable image (kPortableSection), if any: offset and size.
    std::size_t portable_offset = 0;
    std::size_t portable_size = 0;
};

// Never throws: an image it cannot read gives elf == false.
ElfFacts read_elf_facts(const unsigned char* data, std::size_t size);

// The same executable without .debug*/.zdebug* section contents (what
// `strip --strip-debug` removes): every other section keeps its index, so
// symbols and links stay valid; the removed ones keep an empty header.
// Returns an empty vector when the image has nothing to strip or cannot be
// read as ELF (the caller ships it as it is).
std::vector<unsigned char> strip_debug_sections(const unsigned char* data, std::size_t size);

// "2.31" < "2.34": compares dotted version numbers part by part.
bool version_older(std::string_view have, std::string_view need);

}  // namespace tether::detail
