// fault_relay MODE DIRECTION N STATE -- COMMAND...
//
// Test helper: sits between a tether parent (on its stdin/stdout) and the
// command it runs (on a socketpair of its own), relays the bytes both ways
// and injects one fault into one direction at byte N:
//   pass     relay everything
//   close    after N bytes, close every stream (the relay stays up: the parent
//            must notice the lost stream by itself and kill it)
//   corrupt  invert byte N, relay the rest
//   stall    after N bytes, stop relaying that direction (nothing closes)
// DIRECTION: down (parent to command) or up (command to parent).
// STATE: rewritten after every read as "<relay pid> <command pid> <bytes down>
// <bytes up>", so a test knows what to look for and how much crossed.
// Dies with its parent; the command gets TETHER_PARENT_PID of the relay.
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "fault_relay: %s: %s\n", what.c_str(), std::strerror(errno));
    std::_Exit(2);
}

struct Direction {
    int from = -1;
    int to = -1;
    std::string pending = {};  // read, not yet written
    std::size_t taken = 0;     // bytes read from `from`
    bool eof = false;
    bool stalled = false;
};

enum class Mode { pass, close, corrupt, stall };

Mode parse_mode(const std::string& text) {
    if (text == "pass") {
        return Mode::pass;
    }
    if (text == "close") {
        return Mode::close;
    }
    if (text == "corrupt") {
        return Mode::corrupt;
    }
    if (text == "stall") {
        return Mode::stall;
    }
    errno = EINVAL;
    die("unknown mode " + text);
}

void set_nonblocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

pid_t start(char** argv, int stream) {
    pid_t pid = ::fork();
    if (pid < 0) {
        die("fork");
    }
    if (pid == 0) {
        ::dup2(stream, 0);
        ::dup2(stream, 1);
        ::close(stream);
        if (std::getenv("TETHER_PARENT_PID") != nullptr) {
            ::setenv("TETHER_PARENT_PID", std::to_string(::getppid()).c_str(), 1);
        }
        ::execvp(argv[0], argv);
        die(std::string("exec ") + argv[0]);
    }
    return pid;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 7 || std::strcmp(argv[5], "--") != 0) {
        std::fprintf(stderr, "usage: fault_relay MODE DIRECTION N STATE -- COMMAND...\n");
        return 2;
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() == 1) {
        return 1;
    }
    ::signal(SIGPIPE, SIG_IGN);
    Mode mode = parse_mode(argv[1]);
    bool fault_up = std::strcmp(argv[2], "up") == 0;
    std::size_t at = std::strtoull(argv[3], nullptr, 10);
    int state = ::open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (state < 0) {
        die(std::string("open ") + argv[4]);
    }

    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        die("socketpair");
    }
    pid_t command = start(argv + 6, pair[1]);
    ::close(pair[1]);
    int child = pair[0];
    for (int fd : {0, 1, child}) {
        set_nonblocking(fd);
    }
    Direction down{0, child};
    Direction up{child, 1};
    Direction& faulty = fault_up ? up : down;
    auto save_state = [&] {
        std::string line = std::to_string(::getpid()) + " " + std::to_string(command) + " " +
                           std::to_string(down.taken) + " " + std::to_string(up.taken) + "\n";
        if (::pwrite(state, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size()) ||
            ::ftruncate(state, static_cast<off_t>(line.size())) != 0) {
            die("writing the state file");
        }
    };
    save_state();

    for (;;) {
        if (faulty.taken == at && faulty.pending.empty()) {
            if (mode == Mode::close) {
                for (int fd : {0, 1, child}) {
                    ::close(fd);
                }
                ::waitpid(command, nullptr, 0);
                for (;;) {
                    ::pause();
                }
            }
            if (mode == Mode::stall) {
                faulty.stalled = true;
            }
        }
        std::vector<pollfd> polls;
        std::vector<Direction*> owners;
        for (Direction* d : {&down, &up}) {
            if (!d->pending.empty()) {
                polls.push_back({d->to, POLLOUT, 0});
                owners.push_back(d);
            } else if (!d->eof && !d->stalled) {
                polls.push_back({d->from, POLLIN, 0});
                owners.push_back(d);
            }
        }
        if (polls.empty()) {
            if (down.eof && up.eof) {
                break;
            }
            ::pause();  // stalled: until killed
            continue;
        }
        if (::poll(polls.data(), polls.size(), -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("poll");
        }
        for (std::size_t i = 0; i < polls.size(); ++i) {
            Direction& d = *owners[i];
            if (polls[i].revents == 0) {
                continue;
            }
            if (!d.pending.empty()) {
                ssize_t n = ::write(d.to, d.pending.data(), d.pending.size());
                if (n < 0 && errno != EAGAIN) {
                    d.pending.clear();  // the reader is gone
                    d.eof = true;
                } else if (n > 0) {
                    d.pending.erase(0, static_cast<std::size_t>(n));
                }
                if (d.pending.empty() && d.eof) {
                    ::shutdown(d.to, SHUT_WR);
                }
                continue;
            }
            char buffer[65536];
            std::size_t limit = sizeof buffer;
            if (&d == &faulty && mode != Mode::corrupt && mode != Mode::pass && d.taken < at) {
                limit = std::min(limit, at - d.taken);
            }
            ssize_t n = ::read(d.from, buffer, limit);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            if (n <= 0) {
                d.eof = true;
                ::shutdown(d.to, SHUT_WR);
                continue;
            }
            if (&d == &faulty && mode == Mode::corrupt && at >= d.taken &&
                at < d.taken + static_cast<std::size_t>(n)) {
                buffer[at - d.taken] = static_cast<char>(~buffer[at - d.taken]);
            }
            d.taken += static_cast<std::size_t>(n);
            d.pending.assign(buffer, static_cast<std::size_t>(n));
            save_state();
        }
    }
    int status = 0;
    ::waitpid(command, &status, 0);
    return 0;
}
