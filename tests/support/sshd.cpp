#include "support/sshd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace tt {
namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
}

}  // namespace

int free_port(const std::string& address) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    socklen_t len = sizeof a;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(s);
        throw std::runtime_error("no free port on " + address);
    }
    ::close(s);
    return ntohs(a.sin_port);
}

std::string run(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    char buf[4096];
    while (pipe != nullptr && std::fgets(buf, sizeof buf, pipe) != nullptr) {
        out += buf;
    }
    if (pipe != nullptr) {
        ::pclose(pipe);
    }
    return out;
}

std::string Sshd::missing() {
    if (::geteuid() != 0) {
        return "not running as root";
    }
    if (::access(kSshd, X_OK) != 0) {
        return "sshd is not installed (openssh-server)";
    }
    return {};
}

Sshd::Sshd(SshdOptions options) : options_(std::move(options)) {
    // A constructor that throws runs no destructor: undo here what start()
    // got as far as making.
    try {
        start();
    } catch (...) {
        stop();
        throw;
    }
}

Sshd::~Sshd() {
    stop();
}

void Sshd::start() {
    char pattern[] = "/tmp/tt-sshd-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    dir_ = pattern;
    // Readable by the users tests log in as: sshd reads AuthorizedKeysFile
    // with the user's own rights.
    ::chmod(dir_.c_str(), 0755);
    // sshd's privilege separation directory; a fresh machine may lack it.
    ::mkdir("/run/sshd", 0755);
    std::string keys = "ssh-keygen -q -t ed25519 -N '' -C tt-host -f " + dir_ +
                       "/host_key && ssh-keygen -q -t ed25519 -N '' -C tt-client -f " + dir_ +
                       "/client_key && cp " + dir_ + "/client_key.pub " + dir_ +
                       "/authorized_keys && chmod 644 " + dir_ + "/authorized_keys";
    if (std::system(keys.c_str()) != 0) {
        throw std::runtime_error("ssh-keygen failed");
    }
    port_ = options_.netns.empty() ? free_port(options_.address) : 22;
    {
        std::ofstream config(dir_ + "/sshd_config");
        config << "ListenAddress " << options_.address << ":" << port_ << "\n"
               << "HostKey " << dir_ << "/host_key\n"
               << "PidFile " << dir_ << "/sshd.pid\n"
               << "AuthorizedKeysFile " << dir_
               << "/authorized_keys\n"
               // The keys live under /tmp, which StrictModes would refuse.
               << "StrictModes no\n"
               << "UsePAM no\n"
               << "PermitRootLogin yes\n"
               << "PasswordAuthentication yes\n"
               << "KbdInteractiveAuthentication no\n"
               << "MaxStartups 200\n"
               << "MaxSessions 100\n"
               << "LogLevel VERBOSE\n";
        for (const auto& line : options_.config) {
            config << line << "\n";
        }
    }
    {
        std::ofstream known(known_hosts());
        known << known_hosts_line() << "\n";
    }
    std::vector<std::string> argv;
    if (!options_.netns.empty()) {
        argv = {"/usr/sbin/ip", "netns", "exec", options_.netns};
    }
    for (const char* word : {kSshd, "-D", "-e", "-f"}) {
        argv.emplace_back(word);
    }
    argv.push_back(dir_ + "/sshd_config");
    std::vector<char*> c_argv;
    for (auto& word : argv) {
        c_argv.push_back(word.data());
    }
    c_argv.push_back(nullptr);
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    int rc = ::posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, c_argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(err[1]);
    if (rc != 0) {
        ::close(err[0]);
        throw std::runtime_error("cannot run " + argv[0]);
    }
    // Ready once it says it listens; everything it says goes to the log.
    std::string said;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool listening = false;
    while (!listening && std::chrono::steady_clock::now() < deadline) {
        pollfd p{err[0], POLLIN, 0};
        if (::poll(&p, 1, 1000) <= 0) {
            continue;
        }
        char buf[1024];
        ssize_t n = ::read(err[0], buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        said.append(buf, static_cast<std::size_t>(n));
        listening = said.find("Server listening on") != std::string::npos;
    }
    if (!listening) {
        ::close(err[0]);
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        throw std::runtime_error("sshd did not start: " + said);
    }
    // From now on its output goes to a file: a cat keeps the pipe drained.
    std::ofstream(dir_ + "/log", std::ios::app) << said;
    posix_spawn_file_actions_t drain;
    posix_spawn_file_actions_init(&drain);
    posix_spawn_file_actions_adddup2(&drain, err[0], 0);
    posix_spawn_file_actions_addopen(&drain, 1, (dir_ + "/log").c_str(),
                                     O_WRONLY | O_APPEND | O_CREAT, 0600);
    posix_spawn_file_actions_addopen(&drain, 2, "/dev/null", O_WRONLY, 0);
    char cat[] = "cat";
    char* cat_argv[] = {cat, nullptr};
    ::posix_spawnp(&drain_pid_, "cat", &drain, nullptr, cat_argv, environ);
    posix_spawn_file_actions_destroy(&drain);
    ::close(err[0]);
}

void Sshd::stop() noexcept {
    if (pid_ > 0) {
        // The listener, then whatever sessions it left.
        std::vector<pid_t> sessions = session_pids();
        ::kill(pid_, SIGTERM);
        for (pid_t p : sessions) {
            ::kill(p, SIGCONT);
            ::kill(p, SIGTERM);
        }
        ::waitpid(pid_, nullptr, 0);
    }
    if (drain_pid_ > 0) {
        ::kill(drain_pid_, SIGKILL);
        ::waitpid(drain_pid_, nullptr, 0);
    }
    pid_ = drain_pid_ = -1;
    if (!dir_.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
        dir_.clear();
    }
}

std::string Sshd::known_hosts_line() const {
    std::string name = port_ == 22 ? address() : "[" + address() + "]:" + std::to_string(port_);
    std::string key = slurp(dir_ + "/host_key.pub");
    while (!key.empty() && key.back() == '\n') {
        key.pop_back();
    }
    return name + " " + key;
}

std::string Sshd::fingerprint() const {
    // "256 SHA256:xxxx tt-host (ED25519)"
    std::istringstream words(run("ssh-keygen -l -f " + dir_ + "/host_key.pub"));
    std::string bits, hash;
    words >> bits >> hash;
    return "ssh-ed25519 " + hash;
}

std::vector<pid_t> Sshd::session_pids() const {
    std::vector<pid_t> out;
    std::vector<pid_t> parents = {pid_};
    while (!parents.empty()) {
        pid_t parent = parents.back();
        parents.pop_back();
        std::istringstream children(
            run("pgrep -P " + std::to_string(parent) + " -x sshd 2>/dev/null"));
        for (pid_t child; children >> child;) {
            out.push_back(child);
            parents.push_back(child);
        }
    }
    return out;
}

std::string Sshd::log() const {
    return slurp(dir_ + "/log");
}

}  // namespace tt
