// What a parent and its fork server say to each other, on a SOCK_SEQPACKET
// socketpair: one datagram per message, so no framing; file descriptors
// travel beside a message as SCM_RIGHTS. Both ends are this same program on
// this same machine, so the structs go as they are in memory. Internal.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tether::detail {

// TETHER_CHILD's value in a fork server's environment (a child has "1").
inline constexpr const char* kForkServerMode = "fork-server";

// Set beside LD_BIND_NOW=1 in a fork server's environment when the parent's
// had no LD_BIND_NOW: the server resolves every symbol once, at its start,
// instead of each forked child resolving (and copying the pages of) the
// ones it calls; then it removes both, for the programs children start.
inline constexpr const char* kForkBindNowEnv = "TETHER_FORK_BIND_NOW";

// The largest request: its header and the extra environment of the child.
inline constexpr std::size_t kMaxForkRequest = 60 * 1024;

enum class ForkOp : std::uint8_t {
    fork = 'F',     // parent → server: fork a child; fds: its stream, its stderr
    prepare = 'R',  // parent → server: a start is done; make the next child ready
    forked = 'P',   // server → parent: `pid` runs; fd: a pidfd for it, if the kernel has them
    failed = 'E',   // server → parent: fork() failed with errno `value`
    exited = 'X',   // server → parent: child `pid` ended and was reaped; `value`: its wait status
};

// Followed by `env_size` bytes: KEY=VALUE entries, each ended by a NUL,
// added to the child's environment.
struct ForkRequest {
    ForkOp op = ForkOp::fork;
    std::uint32_t id = 0;  // echoed in the answer
    std::uint32_t env_size = 0;
};

struct ForkReport {
    ForkOp op = ForkOp::forked;
    std::uint32_t id = 0;  // the request's, for forked and failed
    std::int32_t pid = 0;
    std::int32_t value = 0;
};

}  // namespace tether::detail
