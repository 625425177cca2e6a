#include "support/stub_tool.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace tt {

namespace {

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
    std::ofstream out(path, std::ios::trunc);
    for (const std::string& line : lines) {
        out << line << '\n';
    }
    if (!out) {
        throw std::runtime_error("cannot write " + path);
    }
}

}  // namespace

StubTool::StubTool(const std::string& tool, const std::string& root,
                   std::vector<std::string> existing) {
    char dir[] = "/tmp/tt-stub-XXXXXX";
    if (::mkdtemp(dir) == nullptr) {
        throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    }
    dir_ = dir;
    path_ = dir_ + "/" + tool;
    std::filesystem::create_symlink(std::string(TT_STUBS_DIR) + "/" + tool, path_);
    write_lines(dir_ + "/root", {root});
    write_lines(dir_ + "/exists", existing);
}

StubTool::~StubTool() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void StubTool::expect(const std::vector<std::string>& argv, const std::string& target) {
    write_lines(dir_ + "/expect", argv);
    write_lines(dir_ + "/target", {target});
}

}  // namespace tt
