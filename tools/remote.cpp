#include "tools/remote.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>

#include "core/account.hpp"
#include "parent/sha256.hpp"
#include "tether/export.hpp"

extern char** environ;

namespace tether::cli {
namespace {

// At most this much of each stream per answer, so a chatty command cannot
// make one reply large; the rest comes with the next look.
constexpr std::size_t kMaxChunk = 256 * 1024;

std::runtime_error system_error(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        reset(std::exchange(other.fd_, -1));
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    void reset(int fd = -1) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = fd;
    }

  private:
    int fd_ = -1;
};

// The numbered things a context keeps between calls (running commands, files
// being copied). Used on the context's main thread only, where calls run one
// at a time; what is left when the context exits is destroyed with it.
template <class T>
class Numbered {
  public:
    std::uint64_t add(std::unique_ptr<T> item) {
        items_.emplace(++last_, std::move(item));
        return last_;
    }
    // The item, or nullptr.
    T* find(std::uint64_t number) {
        auto it = items_.find(number);
        return it == items_.end() ? nullptr : it->second.get();
    }
    void remove(std::uint64_t number) { items_.erase(number); }

  private:
    std::map<std::uint64_t, std::unique_ptr<T>> items_;
    std::uint64_t last_ = 0;
};

// A command started by exec_start. It dies with the context:
// PR_SET_PDEATHSIG for the command itself, and here, on a normal exit, its
// whole process group.
struct Job {
    Job() = default;
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;
    ~Job() {
        if (pid > 0 && !exited) {
            ::killpg(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }

    pid_t pid = -1;
    Fd pidfd;
    Fd out;
    Fd err;
    bool exited = false;
    int status = 0;
};

Numbered<Job>& jobs() {
    static Numbered<Job> instance;
    return instance;
}

Job& job_numbered(std::uint64_t number) {
    Job* job = jobs().find(number);
    if (!job) {
        throw std::runtime_error("no job " + std::to_string(number) + " here");
    }
    return *job;
}

// Reads what `fd` has now, up to the chunk limit; closes it at EOF.
void drain(Fd& fd, std::string& into) {
    char buffer[16384];
    while (fd.get() >= 0 && into.size() < kMaxChunk) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n > 0) {
            into.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            fd.reset();
        } else if (errno == EAGAIN) {
            return;
        }
    }
}

// Where the kernel has no pidfd_open: how often a command's exit is looked for.
constexpr int kExitPollMs = 20;

void reap(Job& job, int options) {
    if (!job.exited && ::waitpid(job.pid, &job.status, options) == job.pid) {
        job.exited = true;
    }
}

ExecOutput report(Job& job, bool force_done) {
    ExecOutput o;
    drain(job.out, o.out);
    drain(job.err, o.err);
    // Output a background process keeps writing after the command ended does
    // not hold the answer: once it has exited, whatever was there is sent.
    bool pipes_done = (job.out.get() < 0 && job.err.get() < 0) ||
                      (o.out.size() < kMaxChunk && o.err.size() < kMaxChunk);
    if (job.exited && (pipes_done || force_done)) {
        o.done = true;
        if (WIFEXITED(job.status)) {
            o.exit_code = WEXITSTATUS(job.status);
        } else if (WIFSIGNALED(job.status)) {
            o.signal = WTERMSIG(job.status);
        }
    }
    return o;
}

// Where execv will find `name`, as execvp would look; empty if nowhere.
std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        return name;
    }
    const char* path = std::getenv("PATH");
    std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t end = dirs.find(':', start);
        if (end == std::string::npos) {
            end = dirs.size();
        }
        std::string dir = dirs.substr(start, end - start);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        start = end + 1;
    }
    return {};
}

}  // namespace

ContextInfo context_info() {
    ContextInfo info;
    info.user = detail::this_account().name;  // no NSS in a static (portable) child
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    info.host = host;
    info.pid = ::getpid();
    return info;
}

std::uint64_t exec_start(std::vector<std::string> argv) {
    if (argv.empty()) {
        throw std::runtime_error("no command to run");
    }
    std::string program = find_program(argv[0]);
    if (program.empty()) {
        throw std::runtime_error("command not found: " + argv[0]);
    }
    std::vector<char*> args;
    for (std::string& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    int out[2], err[2], failed[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        throw system_error("pipe");
    }
    Fd out_read(out[0]), out_write(out[1]);
    if (::pipe2(err, O_CLOEXEC) != 0) {
        throw system_error("pipe");
    }
    Fd err_read(err[0]), err_write(err[1]);
    if (::pipe2(failed, O_CLOEXEC) != 0) {
        throw system_error("pipe");
    }
    Fd failed_read(failed[0]), failed_write(failed[1]);
    pid_t parent = ::getpid();
    // fork rather than posix_spawn: PR_SET_PDEATHSIG has no spawn attribute.
    // Between fork and exec only async-signal-safe calls.
    pid_t pid = ::fork();
    if (pid < 0) {
        throw system_error("fork");
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            _exit(127);
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) {
            ::signal(s, SIG_DFL);
        }
        int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0) {
            int e = errno;
            [[maybe_unused]] ssize_t ignored = ::write(failed[1], &e, sizeof e);
            _exit(127);
        }
        ::execve(program.c_str(), args.data(), environ);
        int e = errno;
        [[maybe_unused]] ssize_t ignored = ::write(failed[1], &e, sizeof e);
        _exit(127);
    }
    ::setpgid(pid, pid);  // also here, so a kill right after start finds the group
    failed_write.reset();
    out_write.reset();
    err_write.reset();
    int exec_errno = 0;
    ssize_t n;
    do {
        n = ::read(failed_read.get(), &exec_errno, sizeof exec_errno);
    } while (n < 0 && errno == EINTR);
    if (n == sizeof exec_errno) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        errno = exec_errno;
        throw system_error("cannot run " + program);
    }
    auto job = std::make_unique<Job>();
    job->pid = pid;  // from here on the job kills and reaps it if need be
    job->pidfd = Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (job->pidfd.get() < 0 && errno != ENOSYS) {  // ENOSYS: Linux < 5.3, polled for
        throw system_error("pidfd_open");
    }
    ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(err_read.get(), F_SETFL, O_NONBLOCK);
    job->out = std::move(out_read);
    job->err = std::move(err_read);
    return jobs().add(std::move(job));
}

ExecOutput exec_wait(std::uint64_t number, int wait_ms) {
    Job& job = job_numbered(number);
    if (!job.exited) {
        // Without a pidfd (poll ignores the -1) the exit is looked for often.
        bool pidfd = job.pidfd.get() >= 0;
        pollfd fds[3] = {
            {job.pidfd.get(), POLLIN, 0}, {job.out.get(), POLLIN, 0}, {job.err.get(), POLLIN, 0}};
        int n = ::poll(fds, 3, pidfd ? wait_ms : std::min(wait_ms, kExitPollMs));
        if (n < 0 && errno != EINTR) {
            throw system_error("poll");
        }
        if (fds[0].revents != 0 || !pidfd) {
            reap(job, pidfd ? 0 : WNOHANG);
        }
    }
    ExecOutput o = report(job, false);
    if (o.done) {
        jobs().remove(number);
    }
    return o;
}

ExecOutput exec_kill(std::uint64_t number, int grace_ms) {
    Job* job = jobs().find(number);
    if (!job) {
        return ExecOutput{.done = true};
    }
    if (!job->exited) {
        ::killpg(job->pid, SIGTERM);
        if (job->pidfd.get() >= 0) {
            pollfd fd{job->pidfd.get(), POLLIN, 0};
            if (::poll(&fd, 1, grace_ms) <= 0) {  // not gone in time (or EINTR: no waiting twice)
                ::killpg(job->pid, SIGKILL);
            }
        } else {
            for (int waited = 0; !job->exited && waited < grace_ms; waited += kExitPollMs) {
                ::usleep(kExitPollMs * 1000);
                reap(*job, WNOHANG);
            }
            ::killpg(job->pid, SIGKILL);
        }
        reap(*job, 0);
    }
    ::killpg(job->pid, SIGKILL);  // what the command left behind in its group
    ExecOutput o = report(*job, true);
    jobs().remove(number);
    return o;
}

namespace {

// A file copy_open started: a temporary that goes away unless committed.
struct PendingFile {
    PendingFile() = default;
    PendingFile(const PendingFile&) = delete;
    PendingFile& operator=(const PendingFile&) = delete;
    ~PendingFile() {
        if (!temporary.empty()) {
            ::unlink(temporary.c_str());
        }
    }

    Fd fd;
    std::string temporary;  // empty once renamed into place
    std::string path;
    std::uint32_t mode = 0644;
};

Numbered<PendingFile>& files() {
    static Numbered<PendingFile> instance;
    return instance;
}

PendingFile& file_numbered(std::uint64_t number) {
    PendingFile* file = files().find(number);
    if (!file) {
        throw std::runtime_error("no file " + std::to_string(number) + " being copied here");
    }
    return *file;
}

std::string directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::uint64_t copy_open(std::string path, std::uint32_t mode) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        throw std::runtime_error(path + " is a directory");
    }
    auto file = std::make_unique<PendingFile>();
    file->path = path;
    file->mode = mode & 07777;
    std::string temporary = directory_of(path) + "/.tether-copy-XXXXXX";
    int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
    if (fd < 0) {
        throw system_error("cannot create a file in " + directory_of(path));
    }
    file->fd = Fd(fd);
    file->temporary = std::move(temporary);
    return files().add(std::move(file));
}

void copy_write(std::uint64_t number, const Blob& bytes) {
    PendingFile& file = file_numbered(number);
    const char* p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        ssize_t n = ::write(file.fd.get(), p, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            std::runtime_error e = system_error("cannot write " + file.path);
            copy_abort(number);
            throw e;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

void copy_commit(std::uint64_t number, std::string sha256_hex) {
    PendingFile& file = file_numbered(number);
    auto fail = [&](const std::string& why) {
        std::runtime_error e(why);
        copy_abort(number);
        throw e;
    };
    if (::fsync(file.fd.get()) != 0) {
        fail("cannot sync " + file.path + ": " + std::strerror(errno));
    }
    // The checksum of what the disk gives back, not of what was sent.
    detail::Sha256 sum;
    char buffer[65536];
    for (off_t at = 0;;) {
        ssize_t n = ::pread(file.fd.get(), buffer, sizeof buffer, at);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fail("cannot read back " + file.path + ": " + std::strerror(errno));
        }
        if (n == 0) {
            break;
        }
        sum.update(buffer, static_cast<std::size_t>(n));
        at += n;
    }
    std::string got = sum.hex_digest();
    if (got != sha256_hex) {
        fail("checksum mismatch writing " + file.path + ": sha256 " + got + ", sent " + sha256_hex);
    }
    if (::fchmod(file.fd.get(), file.mode) != 0) {
        fail("cannot set the mode of " + file.path + ": " + std::strerror(errno));
    }
    if (::rename(file.temporary.c_str(), file.path.c_str()) != 0) {
        fail("cannot rename into " + file.path + ": " + std::strerror(errno));
    }
    file.temporary.clear();
    Fd dir(::open(directory_of(file.path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) {
        ::fsync(dir.get());
    }
    files().remove(number);
}

void copy_abort(std::uint64_t number) {
    files().remove(number);  // the temporary goes with it
}

TETHER_EXPORT(context_info);
TETHER_EXPORT(exec_start);
TETHER_EXPORT(exec_wait);
TETHER_EXPORT(exec_kill);
TETHER_EXPORT(copy_open);
TETHER_EXPORT(copy_write);
TETHER_EXPORT(copy_commit);
TETHER_EXPORT(copy_abort);

}  // namespace tether::cli
