// Datagrams with file descriptors beside them (SCM_RIGHTS), as a parent, its
// fork server and the server's ready child pass a child's stream, stderr
// pipe and pidfd on their SOCK_SEQPACKET sockets. Internal.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <span>
#include <vector>

namespace tether::detail {

inline constexpr std::size_t kMaxPassedFds = 2;

// One datagram made of `parts`, with `fds` (at most kMaxPassedFds) beside
// it; EINTR is retried, SIGPIPE never raised. Returns sendmsg's result.
ssize_t send_with_fds(int socket, std::span<const iovec> parts, std::span<const int> fds);

// One datagram into `buffer` (recvmsg `flags`, e.g. MSG_DONTWAIT); EINTR is
// retried. The fds that came with it are appended to `fds`, close-on-exec,
// whatever else happened. `truncated`: the datagram or its fds did not fit.
// Returns recvmsg's result.
ssize_t receive_with_fds(int socket, void* buffer, std::size_t size, int flags,
                         std::vector<int>& fds, bool& truncated);

}  // namespace tether::detail
