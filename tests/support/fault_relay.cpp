// fault_relay MODE DIRECTION N STATE -- COMMAND...
// fault_relay MODE DIRECTION N STATE tcp PORT
//
// Test helper: sits between a tether parent (on its stdin/stdout) and the
// command it runs (on a socketpair of its own), or between one TCP client
// (on a port of 127.0.0.1 it picks) and 127.0.0.1:PORT, relays the bytes
// both ways and injects one fault into one direction at byte N:
//   pass     relay everything
//   close    after N bytes, close every stream (the relay stays up: the parent
//            must notice the lost stream by itself and kill it)
//   corrupt  invert byte N, relay the rest
//   stall    after N bytes, stop relaying that direction (nothing closes)
// DIRECTION: down (parent or client to command or server) or up.
// STATE: rewritten after every read as "<relay pid> <command pid> <bytes down>
// <bytes up> <listening port>" (0 for what does not apply), so a test knows
// where to connect, what to look for and how much crossed.
// Dies with its parent; the command gets TETHER_PARENT_PID of the relay.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
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

int tcp_socket() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        die("socket");
    }
    return fd;
}

sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return a;
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
    bool tcp = argc == 7 && std::strcmp(argv[5], "tcp") == 0;
    if (argc < 7 || (!tcp && std::strcmp(argv[5], "--") != 0)) {
        std::fprintf(stderr,
                     "usage: fault_relay MODE DIRECTION N STATE -- COMMAND...\n"
                     "       fault_relay MODE DIRECTION N STATE tcp PORT\n");
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

    pid_t command = 0;
    int port = 0;
    int parent_in = 0;
    int parent_out = 1;
    int child = -1;
    int listener = -1;
    if (tcp) {
        listener = tcp_socket();
        sockaddr_in a = loopback(0);
        socklen_t len = sizeof a;
        if (::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(listener, 1) != 0 ||
            ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            die("listen");
        }
        port = ntohs(a.sin_port);
    } else {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
            die("socketpair");
        }
        command = start(argv + 6, pair[1]);
        ::close(pair[1]);
        child = pair[0];
    }
    Direction down;
    Direction up;
    auto save_state = [&] {
        std::string line = std::to_string(::getpid()) + " " + std::to_string(command) + " " +
                           std::to_string(down.taken) + " " + std::to_string(up.taken) + " " +
                           std::to_string(port) + "\n";
        if (::pwrite(state, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size()) ||
            ::ftruncate(state, static_cast<off_t>(line.size())) != 0) {
            die("writing the state file");
        }
    };
    save_state();
    if (tcp) {
        parent_in = parent_out = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        ::close(listener);
        child = tcp_socket();
        sockaddr_in server = loopback(std::atoi(argv[6]));
        if (parent_in < 0 ||
            ::connect(child, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
            die("accept or connect");
        }
    }
    for (int fd : {parent_in, parent_out, child}) {
        set_nonblocking(fd);
    }
    down = {parent_in, child};
    up = {child, parent_out};
    Direction& faulty = fault_up ? up : down;

    for (;;) {
        if (faulty.taken == at && faulty.pending.empty()) {
            if (mode == Mode::close) {
                for (int fd : {parent_in, parent_out, child}) {
                    ::close(fd);
                }
                if (command > 0) {
                    ::waitpid(command, nullptr, 0);
                }
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
    if (command > 0) {
        ::waitpid(command, nullptr, 0);
    }
    return 0;
}
