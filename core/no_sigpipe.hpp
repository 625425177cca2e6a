// Writes that cannot raise SIGPIPE. Writing to a pipe or socket whose reader
// is gone raises it, and it kills the process; a library may not ignore it
// process-wide (every program user code starts would inherit SIG_IGN), so it
// is held back on the writing thread for the call instead. Internal.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>

namespace tether::detail {

// As writev/write; a reader that is gone gives -1 with errno EPIPE.
ssize_t writev_without_sigpipe(int fd, const iovec* iov, int count);
ssize_t write_without_sigpipe(int fd, const void* data, std::size_t size);

}  // namespace tether::detail
