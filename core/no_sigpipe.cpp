#include "core/no_sigpipe.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>

namespace tether::detail {

ssize_t writev_without_sigpipe(int fd, const iovec* iov, int count) {
    sigset_t pipe_only, previous;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
    ssize_t n = ::writev(fd, iov, count);
    int error = errno;
    if (n < 0 && error == EPIPE) {
        // The signal it raised is pending on this thread: take it off before
        // the old mask lets it through.
        timespec zero{};
        while (::sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    errno = error;
    return n;
}

ssize_t write_without_sigpipe(int fd, const void* data, std::size_t size) {
    iovec iov{const_cast<void*>(data), size};
    return writev_without_sigpipe(fd, &iov, 1);
}

}  // namespace tether::detail
