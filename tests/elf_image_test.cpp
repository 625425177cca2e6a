// The shipped image's ELF handling: debug sections dropped (and the program
// still runs), the glibc it needs and its loader read from its headers.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "parent/elf_image.hpp"
#include "support/sshd.hpp"  // tt::run

using namespace tether::detail;

namespace {

// Built with -g whatever the build type (tests/CMakeLists.txt).
std::string debug_program() {
    return TT_DEBUG_PROGRAM;
}

std::vector<unsigned char> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string write_executable(const std::vector<unsigned char>& bytes) {
    std::string path = ::testing::TempDir() + "tt-stripped-" + std::to_string(::getpid());
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    ::chmod(path.c_str(), 0700);
    return path;
}

}  // namespace

TEST(ElfImage, DebugSectionsAreDroppedAndTheProgramStillRuns) {
    std::vector<unsigned char> original = read_file(debug_program());
    ASSERT_FALSE(original.empty()) << debug_program();
    ASSERT_NE(tt::run("readelf -S " + debug_program()).find(".debug_info"), std::string::npos);

    std::vector<unsigned char> stripped = strip_debug_sections(original.data(), original.size());
    ASSERT_FALSE(stripped.empty());
    EXPECT_LT(stripped.size(), original.size());
    std::string path = write_executable(stripped);
    std::string sections = tt::run("readelf -W -S " + path + " 2>&1");
    EXPECT_EQ(sections.find("Warning"), std::string::npos) << sections;
    // The headers stay (indices are kept), each empty.
    EXPECT_NE(sections.find(".debug_info"), std::string::npos);
    EXPECT_NE(tt::run("readelf -W -x .debug_info " + path + " 2>&1").find("no data"),
              std::string::npos);
    // What the loader maps is byte for byte the same.
    std::string text_before = tt::run("objcopy -O binary --only-section=.text " + debug_program() +
                                      " /dev/stdout | sha256sum");
    std::string text_after =
        tt::run("objcopy -O binary --only-section=.text " + path + " /dev/stdout | sha256sum");
    EXPECT_EQ(text_before, text_after);
    // Symbols survive (they are not debug sections): nm still names main.
    EXPECT_NE(tt::run("nm " + path).find(" T main"), std::string::npos);
    EXPECT_EQ(tt::run(path + " a b"), "debug program: a b\n");
    ::unlink(path.c_str());
}

TEST(ElfImage, NothingToStripOrNotElfGivesNothing) {
    std::vector<unsigned char> original = read_file(debug_program());
    std::vector<unsigned char> stripped = strip_debug_sections(original.data(), original.size());
    ASSERT_FALSE(stripped.empty());
    EXPECT_TRUE(strip_debug_sections(stripped.data(), stripped.size()).empty());
    std::string text = "#!/bin/sh\necho not elf\n";
    auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    EXPECT_TRUE(strip_debug_sections(bytes, text.size()).empty());
    EXPECT_FALSE(read_elf_facts(bytes, text.size()).elf);
    // Every truncation of a real image is refused or read within its bounds.
    for (std::size_t size : {std::size_t{0}, std::size_t{16}, std::size_t{64}, original.size() / 2,
                             original.size() - 1}) {
        EXPECT_NO_THROW(read_elf_facts(original.data(), size));
        std::vector<unsigned char> cut = strip_debug_sections(original.data(), size);
        EXPECT_LE(cut.size(), original.size()) << size;
    }
}

TEST(ElfImage, TheLoaderAndTheGlibcItNeedsAreRead) {
    std::vector<unsigned char> original = read_file(debug_program());
    ElfFacts facts = read_elf_facts(original.data(), original.size());
    ASSERT_TRUE(facts.elf);
    std::string interp = tt::run("readelf -W -l " + debug_program());
    EXPECT_FALSE(facts.interpreter.empty());
    EXPECT_NE(interp.find(facts.interpreter), std::string::npos) << interp;
    // The newest GLIBC_ version objdump lists among its needs.
    std::string newest =
        tt::run("objdump -T " + debug_program() +
                " | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1");
    ASSERT_FALSE(newest.empty());
    newest.pop_back();  // the newline
    EXPECT_EQ(facts.glibc, newest);
    EXPECT_EQ(facts.portable_size, 0U);
}

TEST(ElfImage, VersionsCompareNumerically) {
    EXPECT_TRUE(version_older("2.31", "2.34"));
    EXPECT_TRUE(version_older("2.9", "2.10"));
    EXPECT_TRUE(version_older("1.99", "2.0"));
    EXPECT_TRUE(version_older("2.34", "2.34.1"));
    EXPECT_FALSE(version_older("2.34", "2.34"));
    EXPECT_FALSE(version_older("2.36", "2.34"));
    EXPECT_FALSE(version_older("3.0", "2.99"));
}
