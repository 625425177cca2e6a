#include "support/leak_check.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace tt {
namespace {

std::set<int> open_fds() {
    std::set<int> fds;
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) {
        return fds;
    }
    int own = ::dirfd(dir);
    while (dirent* e = ::readdir(dir)) {
        if (e->d_name[0] == '.') {
            continue;
        }
        int fd = std::atoi(e->d_name);
        if (fd != own) {
            fds.insert(fd);
        }
    }
    ::closedir(dir);
    return fds;
}

int thread_count() {
    int n = 0;
    DIR* dir = ::opendir("/proc/self/task");
    if (dir == nullptr) {
        return -1;
    }
    while (dirent* e = ::readdir(dir)) {
        if (e->d_name[0] != '.') {
            ++n;
        }
    }
    ::closedir(dir);
    return n;
}

std::string fd_target(int fd) {
    char buf[512];
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
}

class LeakCheck : public ::testing::EmptyTestEventListener {
  public:
    void OnTestStart(const ::testing::TestInfo&) override { before_ = snapshot(); }

    void OnTestEnd(const ::testing::TestInfo& info) override {
        // Threads and fds are released by the broker's own shutdown, which
        // has finished when the test body returned; children are reaped by
        // then too. A short settle covers a kernel still tearing down a task.
        std::string problems;
        for (int attempt = 0; attempt < 50; ++attempt) {
            problems = check();
            if (problems.empty()) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::cerr << "LEAK after " << info.test_suite_name() << "." << info.name() << ":\n"
                  << problems;
        failed_ = true;
    }

    void OnTestProgramEnd(const ::testing::UnitTest&) override {
        if (failed_) {
            std::cerr << "leak check failed\n";
            std::_Exit(1);
        }
    }

  private:
    std::string check() const {
        std::ostringstream out;
        ProcessSnapshot now = snapshot();
        for (int fd : now.fds) {
            if (before_.fds.count(fd) == 0) {
                out << "  fd " << fd << " -> " << fd_target(fd) << "\n";
            }
        }
        if (now.threads > before_.threads) {
            out << "  threads: " << before_.threads << " before, " << now.threads << " after\n";
        }
        for (const auto& child : child_processes()) {
            out << "  child process: " << child << "\n";
        }
        return out.str();
    }

    ProcessSnapshot before_;
    bool failed_ = false;
};

}  // namespace

ProcessSnapshot snapshot() {
    return ProcessSnapshot{open_fds(), thread_count()};
}

std::vector<std::string> child_processes() {
    std::vector<std::string> out;
    pid_t self = ::getpid();
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) {
        return out;
    }
    while (dirent* e = ::readdir(dir)) {
        pid_t pid = std::atoi(e->d_name);
        if (pid <= 0) {
            continue;
        }
        std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
        std::string line;
        if (!std::getline(stat, line)) {
            continue;
        }
        // pid (comm) state ppid ...: comm may hold spaces, so parse from ')'.
        auto close = line.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream rest(line.substr(close + 2));
        char state = '?';
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid == self) {
            out.push_back(std::to_string(pid) + " " + state + " " + line.substr(0, close + 1));
        }
    }
    ::closedir(dir);
    return out;
}

bool process_alive(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) {
        return false;
    }
    auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

void install_leak_check() {
    // Sanitizer runtimes (TSan) start a helper thread at the first thread
    // creation; start one now so that it is part of every baseline.
    std::thread([] {}).join();
    ::testing::UnitTest::GetInstance()->listeners().Append(new LeakCheck());
}

}  // namespace tt
