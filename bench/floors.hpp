// The machine's floors, measured beside tether's figures: a socketpair
// ping-pong and bulk copy to a forked peer, posix_spawn of /bin/true, fresh
// memory and memcpy, `sudo -n true` and `ssh host true`.
#pragma once

#include "measure.hpp"
#include "support/sshd.hpp"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

extern char** environ;

namespace bench {

// The payload of the 16 MiB calls, and of their bulk floor.
inline constexpr std::size_t kPayloadBytes = std::size_t{16} << 20;

inline void write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            fail("write");
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

inline bool read_all(int fd, char* p, std::size_t n) {
    while (n > 0) {
        ssize_t r = ::read(fd, p, n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

// Forks a child running `body(fd)` on one end of a socketpair; returns the
// other end and the child's pid.
template <class Body>
inline std::pair<int, pid_t> fork_peer(Body body) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        fail("socketpair");
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        fail("fork");
    }
    if (pid == 0) {
        ::close(sv[0]);
        body(sv[1]);
        ::_exit(0);
    }
    ::close(sv[1]);
    return {sv[0], pid};
}

inline void reap(int fd, pid_t pid) {
    ::close(fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
}

// A forked process echoing single bytes over a socketpair: the floor for a
// call's round trip. It is forked before any tether thread exists and kept
// until the end, so its samples can be taken interleaved with the tether
// round trips (both then see the same machine load).
class PingPongPeer {
  public:
    PingPongPeer() {
        std::tie(fd_, pid_) = fork_peer([](int peer) {
            char c;
            while (::read(peer, &c, 1) == 1) {
                if (::write(peer, &c, 1) != 1) {
                    break;
                }
            }
        });
    }
    ~PingPongPeer() { reap(fd_, pid_); }
    PingPongPeer(const PingPongPeer&) = delete;
    PingPongPeer& operator=(const PingPongPeer&) = delete;

    // `n` timed round trips (µs each, appended to `us`); returns the CPU
    // both processes used for them, in seconds.
    double sample(int n, std::vector<double>& us) {
        Usage before = self_usage() + proc_usage(pid_);
        echo(n, us);
        return (self_usage() + proc_usage(pid_) - before).cpu_s;
    }

    // As sample(), with this thread and the peer pinned to CPUs `mine` and
    // `peer` for the duration; false when they cannot be pinned.
    bool sample_pinned(int n, std::vector<double>& us, int mine, int peer) {
        cpu_set_t own_mask, peer_mask;
        if (::sched_getaffinity(0, sizeof own_mask, &own_mask) != 0 ||
            ::sched_getaffinity(pid_, sizeof peer_mask, &peer_mask) != 0 ||
            !CPU_ISSET(mine, &own_mask) || !CPU_ISSET(peer, &own_mask)) {
            return false;
        }
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(peer, &one);
        bool ok = ::sched_setaffinity(pid_, sizeof one, &one) == 0;
        CPU_ZERO(&one);
        CPU_SET(mine, &one);
        ok = ok && ::sched_setaffinity(0, sizeof one, &one) == 0;
        if (ok) {
            echo(n, us);
        }
        ::sched_setaffinity(0, sizeof own_mask, &own_mask);
        ::sched_setaffinity(pid_, sizeof peer_mask, &peer_mask);
        return ok;
    }

  private:
    void echo(int n, std::vector<double>& us) {
        char c = 'x';
        for (int i = 0; i < n; ++i) {
            auto t0 = Clock::now();
            write_all(fd_, &c, 1);
            if (!read_all(fd_, &c, 1)) {
                fail("ping-pong peer vanished");
            }
            us.push_back(seconds_since(t0) * 1e6);
        }
    }

    int fd_ = -1;
    pid_t pid_ = -1;
};

// One byte handed from one thread to another (mutex and condition variable).
class Handoff {
  public:
    void put(char c) {
        {
            std::lock_guard lock(mutex_);
            byte_ = c;
            full_ = true;
        }
        ready_.notify_one();
    }
    // False once closed with nothing left.
    bool take(char& c) {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return full_ || closed_; });
        if (!full_) {
            return false;
        }
        full_ = false;
        c = byte_;
        return true;
    }
    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable ready_;
    char byte_ = 0;
    bool full_ = false, closed_ = false;
};

// The ping-pong again, with each side split over two threads as a context
// is: on both sides one thread reads the socket and hands the byte to
// another, which writes the answer (the master's caller; the child's main
// thread). The least a round trip costs when IO runs on a broker thread and
// calls on the main thread, as DESIGN.md has it.
class RelayPeer {
  public:
    RelayPeer() {
        std::tie(fd_, pid_) = fork_peer([](int peer) {
            Handoff handoff;
            std::thread reader([&] {
                char c;
                while (::read(peer, &c, 1) == 1) {
                    handoff.put(c);
                }
                handoff.close();
            });
            char c;
            while (handoff.take(c) && ::write(peer, &c, 1) == 1) {
            }
            ::shutdown(peer, SHUT_RDWR);
            reader.join();
        });
        reader_ = std::thread([this] {
            char c;
            while (::read(fd_, &c, 1) == 1) {
                handoff_.put(c);
            }
            handoff_.close();
        });
    }
    ~RelayPeer() {
        ::shutdown(fd_, SHUT_RDWR);
        reader_.join();
        reap(fd_, pid_);
    }
    RelayPeer(const RelayPeer&) = delete;
    RelayPeer& operator=(const RelayPeer&) = delete;

    // `n` timed round trips, µs each, appended to `us`.
    void sample(int n, std::vector<double>& us) {
        char c = 'x';
        for (int i = 0; i < n; ++i) {
            auto t0 = Clock::now();
            write_all(fd_, &c, 1);
            if (!handoff_.take(c)) {
                fail("relay peer vanished");
            }
            us.push_back(seconds_since(t0) * 1e6);
        }
    }

  private:
    int fd_ = -1;
    pid_t pid_ = -1;
    Handoff handoff_;
    std::thread reader_;
};

// An anonymous mapping, outside malloc: the floors' buffers neither count as
// tether's heap nor change how malloc behaves for it.
class MappedBuffer {
  public:
    explicit MappedBuffer(std::size_t size) : size_(size) {
        void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            fail("mmap");
        }
        data_ = static_cast<char*>(p);
    }
    ~MappedBuffer() { ::munmap(data_, size_); }
    MappedBuffer(const MappedBuffer&) = delete;
    MappedBuffer& operator=(const MappedBuffer&) = delete;

    char* data() const { return data_; }
    std::size_t size() const { return size_; }

  private:
    char* data_ = nullptr;
    std::size_t size_ = 0;
};

// A forked process that reads 16 MiB at a time and acknowledges each with one
// byte: the floor for moving a payload between two processes. Forked before
// any tether thread exists, sampled next to the payload calls.
class BulkPeer {
  public:
    BulkPeer() {
        std::tie(fd_, pid_) = fork_peer([](int peer) {
            std::vector<char> buf(kPayloadBytes);
            for (;;) {
                if (!read_all(peer, buf.data(), buf.size())) {
                    return;
                }
                char ack = 'k';
                if (::write(peer, &ack, 1) != 1) {
                    return;
                }
            }
        });
    }
    ~BulkPeer() { reap(fd_, pid_); }
    BulkPeer(const BulkPeer&) = delete;
    BulkPeer& operator=(const BulkPeer&) = delete;

    // One timed 16 MiB transfer, in MB/s (1 MB = 1e6 bytes). The first call
    // also maps and fills the buffer and warms the peer's, untimed.
    double transfer() {
        if (!data_) {
            data_ = std::make_unique<MappedBuffer>(kPayloadBytes);
            std::memset(data_->data(), 'b', data_->size());
            send();
        }
        auto t0 = Clock::now();
        send();
        return static_cast<double>(kPayloadBytes) / 1e6 / seconds_since(t0);
    }
    void release_buffer() { data_.reset(); }

  private:
    void send() {
        write_all(fd_, data_->data(), data_->size());
        char ack;
        if (!read_all(fd_, &ack, 1)) {
            fail("bulk peer vanished");
        }
    }

    int fd_ = -1;
    pid_t pid_ = -1;
    std::unique_ptr<MappedBuffer> data_;
};

// posix_spawn of /bin/true and waitpid for it, in ms.
inline double spawn_true_ms() {
    char arg0[] = "/bin/true";
    char* argv[] = {arg0, nullptr};
    auto t0 = Clock::now();
    pid_t pid;
    int rc = ::posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ);
    if (rc != 0) {
        errno = rc;
        fail("posix_spawn /bin/true");
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return seconds_since(t0) * 1e3;
}

// fork() of this process, until the child runs (its byte arrives over a
// pipe), and waitpid for it after its _exit, in ms: the least a fork start
// can cost on this machine, before the child does anything.
inline double fork_exit_ms() {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        fail("pipe2");
    }
    auto t0 = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
        char byte = 1;
        [[maybe_unused]] ssize_t n = ::write(pipe_fds[1], &byte, 1);
        _exit(0);
    }
    if (pid < 0) {
        fail("fork");
    }
    char byte;
    [[maybe_unused]] ssize_t n = ::read(pipe_fds[0], &byte, 1);
    int status = 0;
    ::waitpid(pid, &status, 0);
    double ms = seconds_since(t0) * 1e3;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return ms;
}

// What a fresh 16 MiB buffer costs before any byte is moved (mmap, first
// write of every page, munmap), and a 16 MiB memcpy between warm buffers.
class MemoryProbe {
  public:
    MemoryProbe() : a_(kPayloadBytes), b_(kPayloadBytes) {
        std::memset(a_.data(), 'a', a_.size());
        std::memset(b_.data(), 'b', b_.size());
    }

    void sample(std::vector<double>& first_touch_ms, std::vector<double>& memcpy_ms) {
        auto t0 = Clock::now();
        {
            MappedBuffer fresh(kPayloadBytes);
            std::memset(fresh.data(), ++round_, fresh.size());
        }
        auto t1 = Clock::now();
        bool flip = round_ % 2 != 0;
        std::memcpy(flip ? a_.data() : b_.data(), flip ? b_.data() : a_.data(), kPayloadBytes);
        auto t2 = Clock::now();
        first_touch_ms.push_back(std::chrono::duration<double>(t1 - t0).count() * 1e3);
        memcpy_ms.push_back(std::chrono::duration<double>(t2 - t1).count() * 1e3);
    }

  private:
    MappedBuffer a_, b_;
    int round_ = 0;
};

// Runs `words` (looked up in PATH, stdin /dev/null) and waits: its wall time
// in ms. A non-zero exit counts as a wrong result.
inline double run_command_ms(std::vector<std::string> words) {
    std::vector<char*> argv;
    for (auto& w : words) {
        argv.push_back(w.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    auto t0 = Clock::now();
    pid_t pid;
    int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        errno = rc;
        fail("posix_spawnp " + words[0]);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    double ms = seconds_since(t0) * 1e3;
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, words[0] + " ... " + words.back());
    return ms;
}

// `sudo -n -u <user> true` and its wait, in ms: the floor of a sudo start.
inline double sudo_true_ms(const std::string& user) {
    return run_command_ms({"sudo", "-n", "-u", user, "true"});
}

// The sshd the SSH figures log in to: bench/compare's shared one (from
// TETHER_BENCH_SSH_PORT, _KEY and _KNOWN_HOSTS, as `tether_bench --sshd`
// prints them), else one of our own for this run.
struct SshTarget {
    std::string address = "127.0.0.1";
    int port = 0;
    std::string client_key, known_hosts;
    std::unique_ptr<tt::Sshd> own;
};

inline SshTarget ssh_target() {
    SshTarget t;
    const char* port = std::getenv("TETHER_BENCH_SSH_PORT");
    const char* key = std::getenv("TETHER_BENCH_SSH_KEY");
    const char* known = std::getenv("TETHER_BENCH_SSH_KNOWN_HOSTS");
    if (port != nullptr && key != nullptr && known != nullptr) {
        t.port = std::atoi(port);
        t.client_key = key;
        t.known_hosts = known;
        return t;
    }
    t.own = std::make_unique<tt::Sshd>();
    t.address = t.own->address();
    t.port = t.own->port();
    t.client_key = t.own->client_key();
    t.known_hosts = t.own->known_hosts();
    return t;
}

// `ssh -o KexAlgorithms=curve25519-sha256 user@host true` and its wait, in
// ms: the floor of an SSH start (the same key exchange libssh negotiates).
inline double ssh_true_ms(const SshTarget& sshd, const std::string& user) {
    return run_command_ms({"ssh", "-q", "-o", "KexAlgorithms=curve25519-sha256", "-o",
                           "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o",
                           "UserKnownHostsFile=" + sshd.known_hosts, "-o", "IdentitiesOnly=yes",
                           "-i", sshd.client_key, "-p", std::to_string(sshd.port),
                           user + "@" + sshd.address, "true"});
}

}  // namespace bench
