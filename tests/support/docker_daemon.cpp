#include "support/docker_daemon.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/harness.hpp"
#include "support/leak_check.hpp"

extern char** environ;

namespace tt {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* kDockerd = "/usr/sbin/dockerd";
constexpr const char* kClient = "/usr/bin/docker";

std::string quote(const std::string& word) {
    std::string out = "'";
    for (char c : word) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

// Closes the descriptor when it goes.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// Whether the process behind `pidfd` exits within `limit` (a pidfd is
// readable once it has: this waits for the event, it does not poll).
bool exits_within(int pidfd, milliseconds limit) {
    auto deadline = steady_clock::now() + limit;
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
        pollfd p{pidfd, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(std::max<milliseconds::rep>(left.count(), 0)));
        if (n > 0) {
            return true;
        }
        if (n == 0 || errno != EINTR) {
            return false;
        }
    }
}

std::string read_cmdline(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/cmdline");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(all.begin(), all.end(), '\0', ' ');
    return all;
}

// Processes whose command line names `dir` (containerd, a shim) or whose
// cgroup names a container of the daemon there: pid and command line.
std::vector<std::pair<pid_t, std::string>> processes_in(const std::string& dir) {
    std::vector<std::string> containers;
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(dir + "/data/containers", ec)) {
        containers.push_back(e.path().filename().string());
    }
    std::vector<std::pair<pid_t, std::string>> out;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) {
        return out;
    }
    while (dirent* e = ::readdir(proc)) {
        pid_t pid = std::atoi(e->d_name);
        if (pid <= 0 || pid == ::getpid()) {
            continue;
        }
        std::string cmdline = read_cmdline(e->d_name);
        std::ifstream in("/proc/" + std::string(e->d_name) + "/cgroup");
        std::string cgroup((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        bool inside = cmdline.find(dir) != std::string::npos;
        for (const std::string& id : containers) {
            inside = inside || cgroup.find(id) != std::string::npos;
        }
        if (inside) {
            out.emplace_back(pid, cmdline);
        }
    }
    ::closedir(proc);
    return out;
}

// Mount points at or under `dir` in this mount namespace, deepest first.
std::vector<std::string> mounts_under(const std::string& dir) {
    std::vector<std::string> out;
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string id, parent, device, root, point;
        fields >> id >> parent >> device >> root >> point;
        if (point == dir || point.rfind(dir + "/", 0) == 0) {
            out.push_back(point);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    return out;
}

// Runs the wrapper script in `dir` (see DockerDaemon::docker).
std::pair<int, std::string> docker_in(const std::string& dir,
                                      const std::vector<std::string>& args) {
    std::string command = quote(dir + "/docker");
    for (const std::string& a : args) {
        command += ' ';
        command += quote(a);
    }
    return shell(command);
}

// What DockerDaemon::stop does, for the daemon `pid` (`pidfd`: -1 when it
// is not running) of directory `dir`; returns what was wrong. What outlives
// dockerd is given `grace` to go by itself.
std::string tear_down(const std::string& dir, pid_t pid, int pidfd, milliseconds grace) {
    std::string problems;
    if (pidfd >= 0 && !exits_within(pidfd, milliseconds(0))) {
        // Containers first (SIGKILL: `sleep` as PID 1 ignores SIGTERM), so
        // that dockerd has none to wait for.
        auto [code, ids] = docker_in(dir, {"ps", "--all", "--quiet"});
        std::vector<std::string> rm{"rm", "--force"};
        std::istringstream words(ids);
        for (std::string id; words >> id;) {
            rm.push_back(id);
        }
        if (code != 0) {
            problems += "docker ps failed: " + ids + "\n";
        } else if (rm.size() > 2) {
            if (auto [rm_code, out] = docker_in(dir, rm); rm_code != 0) {
                problems += "docker rm --force failed: " + out + "\n";
            }
        }
        ::kill(pid, SIGTERM);
        if (!exits_within(pidfd, std::chrono::seconds(30))) {
            problems += "dockerd did not stop within 30 s of SIGTERM; killed\n";
            ::kill(pid, SIGKILL);
            exits_within(pidfd, std::chrono::seconds(10));
        }
    }
    // containerd, the shims and the containers are dockerd's to stop; what
    // outlives it by more than `grace` is reported and killed.
    for (auto& [left, cmdline] : processes_in(dir)) {
        Fd left_fd{pidfd_open(left)};
        if (left_fd.fd < 0 || exits_within(left_fd.fd, grace)) {
            continue;
        }
        problems +=
            "left behind by dockerd, killed: " + std::to_string(left) + " " + cmdline + "\n";
        ::kill(left, SIGKILL);
        exits_within(left_fd.fd, std::chrono::seconds(10));
    }
    // A dockerd that was killed leaves its data root bind-mounted on itself
    // (and maybe container roots): nothing is removed while a mount is
    // left, lest remove_all reach through one.
    for (const std::string& point : mounts_under(dir)) {
        ::umount2(point.c_str(), MNT_DETACH);
    }
    if (std::vector<std::string> mounted = mounts_under(dir); !mounted.empty()) {
        return problems + "still mounted, so " + dir + " was kept: " + mounted.front() + "\n";
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) {
        problems += "cannot remove " + dir + ": " + ec.message() + "\n";
    }
    return problems;
}

// What a test program that was killed left: every directory
// /tmp/tt-docker-<pid>-* whose <pid> is gone (a zombie is gone: init may
// take its time to reap it), and its dockerd, if the pid file names one
// that is running with this directory on its command line.
void sweep_stale() {
    std::error_code ec;
    for (const fs::directory_entry& entry : fs::directory_iterator("/tmp", ec)) {
        std::string dir = entry.path().string();
        int owner = 0;
        if (!entry.is_directory() || entry.is_symlink() ||
            std::sscanf(dir.c_str(), "/tmp/tt-docker-%d-", &owner) != 1 || owner <= 0 ||
            process_alive(owner)) {
            continue;
        }
        pid_t pid = -1;
        std::ifstream(dir + "/dockerd.pid") >> pid;
        Fd pidfd{pid > 0 && read_cmdline(std::to_string(pid)).find(dir) != std::string::npos
                     ? pidfd_open(pid)
                     : -1};
        tear_down(dir, pid, pidfd.fd, milliseconds(0));
    }
}

}  // namespace

std::string DockerDaemon::missing() {
    if (::geteuid() != 0) {
        return "a Docker daemon of the test's own needs root";
    }
    for (const char* program : {kDockerd, kClient}) {
        if (::access(program, X_OK) != 0) {
            return std::string(program) +
                   " is missing (package docker.io; scripts/install-deps.sh --test installs it)";
        }
    }
    return "";
}

DockerDaemon::DockerDaemon() {
    try {
        start();
    } catch (...) {
        stop();
        throw;
    }
}

DockerDaemon::~DockerDaemon() {
    stop();
}

void DockerDaemon::start() {
    sweep_stale();
    std::string pattern = "/tmp/tt-docker-" + std::to_string(::getpid()) + "-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) {
        throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
    }
    dir_ = buffer.data();

    // The client's own config directory too, so that nothing in root's
    // ~/.docker (credential helpers, a current context) takes part.
    client_ = dir_ + "/docker";
    std::ofstream(client_) << "#!/bin/sh\n"
                           << "# The real Docker client, talking to the daemon the tests started\n"
                           << "# (tests/support/docker_daemon.hpp).\n"
                           << "DOCKER_CONFIG=" << quote(dir_ + "/client") << " exec " << kClient
                           << " --host " << quote("unix://" + dir_ + "/docker.sock") << " \"$@\"\n";
    fs::permissions(client_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
    // An empty daemon config: /etc/docker/daemon.json, if the machine has
    // one, must not add to or clash with the flags below.
    std::string config = dir_ + "/daemon.json";
    std::ofstream(config) << "{}\n";

    // dockerd says READY=1 here (sd_notify) once its API is up; it does not
    // pass NOTIFY_SOCKET on to the containerd it starts.
    std::string notify_path = dir_ + "/notify";
    Fd notify{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", notify_path.c_str());
    int on = 1;
    if (notify.fd < 0 ||
        ::bind(notify.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::setsockopt(notify.fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) {
        throw std::runtime_error("notify socket " + notify_path + ": " + std::strerror(errno));
    }

    std::vector<std::string> args{kDockerd,
                                  "--config-file=" + config,
                                  "--storage-driver=vfs",
                                  "--iptables=false",
                                  "--ip6tables=false",
                                  "--bridge=none",
                                  "--data-root=" + dir_ + "/data",
                                  "--exec-root=" + dir_ + "/exec",
                                  "--pidfile=" + dir_ + "/dockerd.pid",
                                  "--host=unix://" + dir_ + "/docker.sock"};
    // Debian's containerd, runc and docker-init, whatever else PATH holds.
    std::vector<std::string> env{"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                 "NOTIFY_SOCKET=" + notify_path};
    for (char** e = environ; *e != nullptr; ++e) {
        std::string entry = *e;
        if (entry.rfind("PATH=", 0) != 0 && entry.rfind("NOTIFY_SOCKET=", 0) != 0) {
            env.push_back(entry);
        }
    }
    std::vector<char*> argv, envp;
    for (std::string& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    for (std::string& e : env) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    std::string log = dir_ + "/dockerd.log";

    // Fork twice: dockerd's parent exits at once, so dockerd is not this
    // process's child. Only async-signal-safe calls between fork and exec.
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    }
    Fd from_middle{pipe_fds[0]};
    pid_t middle = ::fork();
    if (middle < 0) {
        ::close(pipe_fds[1]);
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (middle == 0) {
        pid_t daemon = ::fork();
        if (daemon == 0) {
            int in = ::open("/dev/null", O_RDONLY);
            int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (in < 0 || out < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
                ::dup2(out, 2) < 0) {
                ::_exit(126);
            }
            ::close_range(3, ~0U, 0);
            ::execve(argv[0], argv.data(), envp.data());
            ::_exit(127);
        }
        ssize_t ignored = ::write(pipe_fds[1], &daemon, sizeof daemon);
        (void)ignored;
        ::_exit(daemon > 0 ? 0 : 1);
    }
    ::close(pipe_fds[1]);
    pid_t daemon = -1;
    ssize_t got = ::read(from_middle.fd, &daemon, sizeof daemon);
    int status = 0;
    ::waitpid(middle, &status, 0);
    if (got != sizeof daemon || daemon <= 0) {
        throw std::runtime_error("could not fork dockerd");
    }
    pid_ = daemon;
    pidfd_ = pidfd_open(pid_);
    if (pidfd_ < 0) {
        throw std::runtime_error("dockerd exited at once: " + log_tail(5));
    }

    // Waits for READY=1 from dockerd itself (the credentials say who sent
    // it), for dockerd's exit, or for the deadline: no polling.
    auto deadline = steady_clock::now() + std::chrono::seconds(60);
    for (bool ready = false; !ready;) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
        if (left.count() <= 0) {
            throw std::runtime_error("dockerd did not say READY=1 within 60 s: " + log_tail(5));
        }
        pollfd watch[2] = {{notify.fd, POLLIN, 0}, {pidfd_, POLLIN, 0}};
        if (::poll(watch, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) {
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        }
        if (watch[1].revents != 0) {
            throw std::runtime_error("dockerd exited before it was ready: " + log_tail(5));
        }
        if ((watch[0].revents & POLLIN) == 0) {
            continue;
        }
        char text[512];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
        iovec iov{text, sizeof text - 1};
        msghdr message{};
        message.msg_iov = &iov;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(notify.fd, &message, 0);
        if (n < 0) {
            continue;
        }
        cmsghdr* c = CMSG_FIRSTHDR(&message);
        ucred sender{};
        if (c != nullptr && c->cmsg_type == SCM_CREDENTIALS) {
            std::memcpy(&sender, CMSG_DATA(c), sizeof sender);
        }
        std::string said(text, static_cast<std::size_t>(n));
        ready = sender.pid == pid_ && said.find("READY=1") != std::string::npos;
    }
    if (auto [code, out] = docker({"version", "--format", "{{.Server.Version}}"}); code != 0) {
        throw std::runtime_error("dockerd said it was ready, but `docker version` failed: " + out);
    }
}

std::pair<int, std::string> DockerDaemon::docker(const std::vector<std::string>& args) const {
    return docker_in(dir_, args);
}

void DockerDaemon::import(const std::string& root, const std::string& name) const {
    auto [status, out] =
        shell("tar -C " + quote(root) + " -c . | " + quote(client_) + " import - " + quote(name));
    if (status != 0) {
        throw std::runtime_error("docker import of " + root + " as " + name + " failed: " + out);
    }
}

std::string DockerDaemon::log_tail(int count) const {
    std::ifstream in(dir_ + "/dockerd.log");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    std::string out;
    for (std::size_t i = lines.size() > static_cast<std::size_t>(count) ? lines.size() - count : 0;
         i < lines.size(); ++i) {
        out += "\n  " + lines[i];
    }
    return out.empty() ? "(dockerd logged nothing)" : out;
}

std::string DockerDaemon::stop() noexcept {
    if (stopped_ || dir_.empty()) {
        return "";
    }
    stopped_ = true;
    std::string problems;
    try {
        problems = tear_down(dir_, pid_, pidfd_, std::chrono::seconds(5));
    } catch (const std::exception& e) {
        problems += std::string("stopping dockerd: ") + e.what() + "\n";
    }
    if (pidfd_ >= 0) {
        ::close(pidfd_);
        pidfd_ = -1;
    }
    return problems;
}

}  // namespace tt
