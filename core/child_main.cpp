// What a process started as a child does: take its parent stream from fds 0
// and 1, read its configuration, and serve calls on the main thread until the
// parent says stop or goes away.
#include <fcntl.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "core/child_env.hpp"
#include "core/dispatcher.hpp"
#include "core/fork_server.hpp"
#include "core/line_reader.hpp"
#include "core/log.hpp"
#include "core/protocol.hpp"
#include "core/router_core.hpp"
#include "tether/run_with_router.hpp"

namespace tether::detail {
namespace {

[[noreturn]] void die(const std::string& why) {
    std::string line = "tether child: " + why + "\n";
    [[maybe_unused]] ssize_t ignored = ::write(2, line.data(), line.size());
    _exit(2);
}

bool read_exactly(int fd, void* data, std::size_t size) {
    auto* p = static_cast<char*>(data);
    while (size > 0) {
        ssize_t n = ::read(fd, p, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// The first message on the stream, read before the broker exists. Its size
// is bounded by a fixed limit: nothing about the child is known yet.
BootConfig read_boot(int fd) {
    constexpr std::size_t kMaxBoot = 64 * 1024;
    unsigned char header[kHeaderSize];
    if (!read_exactly(fd, header, sizeof header)) {
        die("no configuration from the parent (EOF)");
    }
    FrameHeader h = decode_header(header);
    if (auto why = check_header(h, kMaxBoot)) {
        die("bad configuration frame: " + *why);
    }
    if (h.header.handle != kBoot) {
        die("first message is not a configuration (handle " + std::to_string(h.header.handle) +
            ")");
    }
    std::string payload(h.length, '\0');
    if (!read_exactly(fd, payload.data(), payload.size())) {
        die("truncated configuration from the parent");
    }
    try {
        return decode<BootConfig>(payload);
    } catch (const std::exception& e) {
        die(std::string("malformed configuration: ") + e.what());
    }
}

// fd 0: /dev/null; fd 1: a pipe this process forwards line by line; fd 2
// stays as it came (the parent reads it directly, so even a crash report
// reaches it). Returns the read end of the stdout pipe.
int redirect_stdio() {
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(null, 0) < 0) {
        die(std::string("cannot open /dev/null: ") + std::strerror(errno));
    }
    ::close(null);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::dup2(out[1], 1) < 0) {
        die(std::string("cannot make the stdout pipe: ") + std::strerror(errno));
    }
    ::close(out[1]);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    return out[0];
}

// A child is a long-lived worker that allocates and frees payload-sized
// buffers on every call. glibc serves each of those from a fresh mmap (its
// dynamic threshold never admits a chunk the size of the last one freed), and
// first-touching 16 MiB of fresh pages costs more than moving it over the
// socket. Fixed thresholds keep such buffers in the heap for reuse.
void tune_malloc_for_payloads() {
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit
    ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

bool same_file(int a, int b) {
    struct stat sa {
    }, sb{};
    return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino && sa.st_rdev == sb.st_rdev;
}

// Under a full terminal (su) stderr is the stream itself: anything written
// there would corrupt it. It becomes a pipe forwarded like stdout. Returns
// its read end, or -1 when stderr is separate.
int separate_stderr(int protocol_fd) {
    if (!same_file(2, protocol_fd)) {
        return -1;
    }
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0 || ::dup2(err[1], 2) < 0) {
        die(std::string("cannot make the stderr pipe: ") + std::strerror(errno));
    }
    ::close(err[1]);
    return err[0];
}

// Started by the bootstrap, argv[0] is the cached file's path; ps should show
// the context's remote name as for local children. It is written over the
// original (never longer than it), the way setproctitle does.
void show_remote_name(int argc, char** argv, const std::string& remote_name) {
    if (argc < 1 || argv[0] == nullptr || remote_name == argv[0]) {
        return;
    }
    std::size_t room = std::strlen(argv[0]);
    std::size_t n = std::min(room, remote_name.size());
    std::memcpy(argv[0], remote_name.data(), n);
    std::memset(argv[0] + n, 0, room - n);
}

int serve(int protocol_fd, int write_fd, const BootConfig& boot) {
    // `debug` on this context: everything it does, every message it sees.
    set_log_level_code(boot.debug ? kIoLevelCode : boot.log_level);
    tune_malloc_for_payloads();
    int stderr_fd = separate_stderr(protocol_fd);
    int stdout_fd = redirect_stdio();

    // A ready fork child started its broker while it waited.
    std::unique_ptr<Broker> ready = take_ready_broker();
    Broker& broker = ready ? *ready : *(ready = std::make_unique<Broker>());
    RouterOptions options;
    options.max_message_size = boot.max_message_size;
    options.unidirectional = boot.unidirectional;
    Identity identity{boot.context_id, boot.parent_ids, boot.parent_names, boot.name};
    auto core = std::make_shared<RouterCore>(broker.impl(), options, identity);
    int code = 0;
    {
        Router router(core);
        auto dispatcher =
            std::make_shared<Dispatcher>(*core, router, boot.name, boot.parent_ids.front());
        auto parent = std::make_shared<Stream>(broker.impl(), protocol_fd, "parent",
                                               options.max_message_size, write_fd);
        std::uint32_t self = boot.context_id;
        auto stdout_reader = std::make_shared<LineReader>(
            broker.impl(), stdout_fd,
            [core, self](const std::string& line) { core->log_from(self, 2, "stdout", line); });
        std::shared_ptr<LineReader> stderr_reader;
        if (stderr_fd >= 0) {
            stderr_reader = std::make_shared<LineReader>(
                broker.impl(), stderr_fd,
                [core, self](const std::string& line) { core->log_from(self, 2, "stderr", line); });
        }
        dispatcher->set_before_reply([stdout_reader] {
            std::fflush(stdout);
            std::cout.flush();
            stdout_reader->drain();
        });
        core->set_dispatcher(dispatcher);
        core->set_parent_stream(parent);
        // One trip to the broker thread: the stream starts, the handshake
        // goes first, and only then the lines this process printed
        // meanwhile (its own log at `io` before the forwarder is set, a
        // library's output), which waited in their pipes: the parent takes
        // nothing else before the handshake.
        broker.impl().post_sync([&] {
            parent->start(core.get());
            Message ack;
            ack.header.dst = boot.parent_ids.front();
            ack.header.handle = kBootAck;
            ack.payload = encode(BootAck{static_cast<std::int32_t>(::getpid())});
            core->send(std::move(ack));
            stdout_reader->start();
            if (stderr_reader) {
                stderr_reader->start();
            }
        });
        set_log_forwarder([core, self](int level, std::string_view logger, std::string_view text) {
            core->log_from(self, level, std::string(logger), std::string(text));
        });
        TETHER_LOG(LogLevel::debug, "tether.child", boot.name, " up, pid ", ::getpid());

        code = dispatcher->run();

        std::fflush(stdout);
        std::cout.flush();
        stdout_reader->drain();
        core->set_dispatcher(nullptr);
        // Grandchildren go first, while the parent can still hear about them.
        core->shutdown_children();
        set_log_forwarder(nullptr);
        parent->wait_flushed(std::chrono::seconds(2));
    }
    broker.shutdown();
    return code;
}

}  // namespace

std::optional<int> serve_if_child(int argc, char** argv) {
    // A fork server never returns from here; the children it forks do, as
    // children.
    serve_if_fork_server();
    ChildEnv env = take_child_env();
    if (!env.is_child) {
        return std::nullopt;
    }
    // Die with the parent, even if it is SIGKILLed; and if it already died
    // before this line ran, do not start at all.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (env.parent_pid != 0 && ::getppid() != env.parent_pid) {
        _exit(1);
    }
    int protocol_fd = ::fcntl(0, F_DUPFD_CLOEXEC, 3);
    if (protocol_fd < 0) {
        die(std::string("no parent stream on fd 0: ") + std::strerror(errno));
    }
    // The configuration is read with blocking reads, whatever the fd came as.
    ::fcntl(protocol_fd, F_SETFL, ::fcntl(protocol_fd, F_GETFL) & ~O_NONBLOCK);
    if (const char* marker = std::getenv(kBootMarkerEnv)) {
        // Started by the shell bootstrap: tell the parent the program runs.
        std::string line = std::string(marker) + "\n";
        if (::write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
            die(std::string("cannot announce the program: ") + std::strerror(errno));
        }
        ::unsetenv(kBootMarkerEnv);
    }
    // sshd (and sudo with I/O logging) give stdin and stdout as two pipes:
    // the stream then writes to its own copy of fd 1.
    int write_fd = -1;
    if (!same_file(0, 1)) {
        write_fd = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
        if (write_fd < 0) {
            die(std::string("no parent stream on fd 1: ") + std::strerror(errno));
        }
    }
    BootConfig boot = read_boot(protocol_fd);
    show_remote_name(argc, argv, boot.remote_name);
    return serve(protocol_fd, write_fd, boot);
}

}  // namespace tether::detail
