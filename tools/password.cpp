#include "tools/password.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "tools/target.hpp"

namespace tether::cli {
namespace {

// Up to the first newline or EOF; the buffer is wiped after it becomes a Secret.
Secret read_line(int fd, const std::string& what) {
    std::string line;
    char c;
    while (true) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw UsageError("cannot read " + what + ": " + std::strerror(errno));
        }
        if (n == 0 || c == '\n') {
            break;
        }
        line += c;
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    Secret secret(line);
    std::memset(line.data(), 0, line.size());
    return secret;
}

// The terminal as it was before the prompt, for a Ctrl-C during it.
int g_prompt_tty = -1;
termios g_prompt_saved{};

void restore_and_quit(int) {
    ::tcsetattr(g_prompt_tty, TCSAFLUSH, &g_prompt_saved);  // async-signal-safe
    [[maybe_unused]] ssize_t ignored = ::write(g_prompt_tty, "\n", 1);
    _exit(130);
}

}  // namespace

Secret ask_password(const std::string& prompt) {
    int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (tty < 0) {
        throw UsageError(
            "cannot ask for a password: no terminal (use --pass-fd or "
            "--become-pass-fd)");
    }
    termios saved{};
    bool restore = ::tcgetattr(tty, &saved) == 0;
    struct sigaction quit {
    }, old_int{}, old_term{};
    if (restore) {
        g_prompt_tty = tty;
        g_prompt_saved = saved;
        quit.sa_handler = restore_and_quit;
        ::sigaction(SIGINT, &quit, &old_int);
        ::sigaction(SIGTERM, &quit, &old_term);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        ::tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    // Echo goes off before the prompt shows: what is typed at it is not
    // flushed, and never shown.
    [[maybe_unused]] ssize_t ignored = ::write(tty, prompt.data(), prompt.size());
    auto done = [&] {
        if (restore) {
            ::tcsetattr(tty, TCSAFLUSH, &saved);
            ::sigaction(SIGINT, &old_int, nullptr);
            ::sigaction(SIGTERM, &old_term, nullptr);
        }
        ::close(tty);
    };
    try {
        Secret secret = read_line(tty, "the terminal");
        done();
        return secret;
    } catch (...) {
        done();
        throw;
    }
}

Secret read_password(int fd) {
    return read_line(fd, "a password from fd " + std::to_string(fd));
}

}  // namespace tether::cli
