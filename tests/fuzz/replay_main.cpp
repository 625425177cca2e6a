// The GCC build of a fuzz target: replays every file of the corpus
// directories (or files) it is given through LLVMFuzzerTestOneInput, as an
// ordinary ctest case. A crash, a sanitizer report or an uncaught exception
// fails it. `--write-seeds DIR` writes the target's seed inputs there.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz_target.hpp"

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "--write-seeds") {
        fs::create_directories(argv[2]);
        int n = 0;
        for (const std::string& seed : tt::fuzz::seeds()) {
            std::ofstream(fs::path(argv[2]) / ("seed-" + std::to_string(++n)), std::ios::binary)
                << seed;
        }
        std::printf("%d seeds written to %s\n", n, argv[2]);
        return 0;
    }
    std::size_t replayed = 0;
    for (int i = 1; i < argc; ++i) {
        std::vector<fs::path> files;
        if (fs::is_directory(argv[i])) {
            for (const auto& entry : fs::directory_iterator(argv[i])) {
                files.push_back(entry.path());
            }
        } else {
            files.emplace_back(argv[i]);
        }
        for (const fs::path& file : files) {
            std::string bytes = read_file(file);
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                   bytes.size());
            ++replayed;
        }
    }
    // The seeds too, so a corpus that lost them still covers them.
    for (const std::string& seed : tt::fuzz::seeds()) {
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size());
        ++replayed;
    }
    std::printf("replayed %zu inputs\n", replayed);
    return replayed > 0 ? 0 : 1;
}
