#include "support/namespaces.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace tt {

namespace {

// Runs argv to its end, its output dropped (its errors too if `quiet`);
// its exit status (-1: could not start).
int run(std::vector<std::string> argv, bool quiet = false) {
    std::vector<char*> c_argv;
    for (auto& a : argv) {
        c_argv.push_back(a.data());
    }
    c_argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    if (quiet) {
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
    }
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, c_argv[0], &actions, nullptr, c_argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        return -1;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void must(std::vector<std::string> argv) {
    std::string line;
    for (const auto& a : argv) {
        line += (line.empty() ? "" : " ") + a;
    }
    if (run(std::move(argv)) != 0) {
        throw std::runtime_error("failed: " + line);
    }
}

}  // namespace

NamedNetns::NamedNetns(std::string name, std::string link, std::string peer)
    : name_(std::move(name)) {
    run({"/usr/sbin/ip", "netns", "delete", name_}, true);  // left by a killed run
    must({"/usr/sbin/ip", "netns", "add", name_});
    try {
        must({"/usr/sbin/ip", "-n", name_, "link", "add", link, "type", "veth", "peer", "name",
              peer});
    } catch (...) {
        run({"/usr/sbin/ip", "netns", "delete", name_});
        throw;
    }
}

NamedNetns::~NamedNetns() {
    run({"/usr/sbin/ip", "netns", "delete", name_});
}

UnsharedProcess::UnsharedProcess(const std::string& hostname) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    std::vector<std::string> argv{"/usr/bin/unshare",
                                  "--fork",
                                  "--pid",
                                  "--mount-proc",
                                  "--uts",
                                  "--ipc",
                                  "--net",
                                  "--kill-child",
                                  "/bin/sh",
                                  "-c",
                                  "hostname \"$0\" && echo ready && exec sleep infinity",
                                  hostname};
    std::vector<char*> c_argv;
    for (auto& a : argv) {
        c_argv.push_back(a.data());
    }
    c_argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, ready[1], 1);
    int rc = ::posix_spawn(&unshare_, c_argv[0], &actions, nullptr, c_argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(ready[1]);
    if (rc != 0) {
        ::close(ready[0]);
        throw std::runtime_error(std::string("posix_spawn unshare: ") + std::strerror(rc));
    }
    char line[16] = {0};
    ssize_t n;
    while ((n = ::read(ready[0], line, sizeof line - 1)) < 0 && errno == EINTR) {
    }
    ::close(ready[0]);
    // unshare --fork has exactly one child: the shell, now sleep.
    std::string children =
        "/proc/" + std::to_string(unshare_) + "/task/" + std::to_string(unshare_) + "/children";
    std::ifstream(children) >> inner_;
    if (n <= 0 || std::strncmp(line, "ready", 5) != 0 || inner_ <= 0) {
        stop();
        throw std::runtime_error("unshare did not make its namespaces (hostname " + hostname + ")");
    }
}

UnsharedProcess::~UnsharedProcess() {
    stop();
}

void UnsharedProcess::stop() noexcept {
    if (unshare_ > 0) {
        ::kill(unshare_, SIGKILL);
        while (::waitpid(unshare_, nullptr, 0) < 0 && errno == EINTR) {
        }
        unshare_ = -1;
    }
}

}  // namespace tt
