// A small program built with debug sections, whatever the build type: what
// tests/elf_image_test.cpp strips and then runs.
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    std::string words;
    for (int i = 1; i < argc; ++i) {
        words += std::string(i > 1 ? " " : "") + argv[i];
    }
    std::printf("debug program: %s\n", words.c_str());
    return 0;
}
