// tether copy: one local file to a path in every target, fanned out. Each
// target writes a temporary next to the destination, checks its SHA-256
// against the source's, sets the source's mode and renames it into place.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>

#include "parent/sha256.hpp"
#include "tools/commands.hpp"
#include "tools/console.hpp"
#include "tools/fleet.hpp"
#include "tools/interrupt.hpp"
#include "tools/remote.hpp"

namespace tether::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kChunk = 1 << 20;
constexpr std::size_t kChunksInFlight = 8;

struct Source {
    std::string path = {};
    std::uint32_t mode = 0;
    std::uint64_t size = 0;
    std::string sha256 = {};
};

// Reads `path` from the start, a chunk at a time.
class Reader {
  public:
    explicit Reader(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_ < 0) {
            throw UsageError("cannot read " + path + ": " + std::strerror(errno));
        }
    }
    ~Reader() { ::close(fd_); }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    // The next chunk; empty at the end.
    std::string next() {
        std::string chunk(kChunk, '\0');
        std::size_t got = 0;
        while (got < chunk.size()) {
            ssize_t n = ::read(fd_, chunk.data() + got, chunk.size() - got);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                throw std::runtime_error(std::string("cannot read the source: ") +
                                         std::strerror(errno));
            }
            if (n == 0) {
                break;
            }
            got += static_cast<std::size_t>(n);
        }
        chunk.resize(got);
        return chunk;
    }

  private:
    int fd_;
};

Source inspect(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw UsageError("cannot copy " + path + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        throw UsageError("cannot copy " + path + ": not a regular file");
    }
    Source source{.path = path, .mode = st.st_mode & 07777};
    detail::Sha256 sum;
    Reader reader(path);
    for (std::string chunk; !(chunk = reader.next()).empty();) {
        sum.update(chunk.data(), chunk.size());
        source.size += chunk.size();
    }
    source.sha256 = sum.hex_digest();
    return source;
}

void send(const Source& source, const Context& context, const std::string& destination) {
    std::uint64_t file = context.call(copy_open, destination, source.mode);
    try {
        // Calls into one context run in order: writes are pipelined, a few
        // chunks ahead, and any failure surfaces from its receiver.
        std::deque<Receiver<void>> pending;
        Reader reader(source.path);
        for (std::string chunk; !(chunk = reader.next()).empty();) {
            if (interrupted()) {
                throw std::runtime_error("interrupted");
            }
            pending.push_back(context.call_async(copy_write, file, Blob(std::move(chunk))));
            if (pending.size() >= kChunksInFlight) {
                pending.front().get();
                pending.pop_front();
            }
        }
        for (auto& r : pending) {
            r.get();
        }
        context.call(copy_commit, file, source.sha256);
    } catch (const CallError&) {
        throw;  // the target already removed its temporary
    } catch (...) {
        try {
            context.call(copy_abort, file);
        } catch (const std::exception&) {
            // The context is gone, and its temporary with it.
        }
        throw;
    }
}

}  // namespace

int run_copy(Run& run) {
    Source source = inspect(run.line.source);
    std::size_t n = run.targets.size();
    Console console(n, show_progress(n, run.line.forks));
    std::vector<Outcome> outcomes(n);
    for_each_target(n, run.line.forks, [&](std::size_t i) {
        const Target& target = run.targets[i];
        auto started = Clock::now();
        Outcome& outcome = outcomes[i];
        Release release(run.connector, target);
        std::vector<Context> hops;
        if (interrupted()) {
            outcome = {.status = Status::interrupted, .error = "not started"};
        } else {
            try {
                hops = run.connector.open(target);
            } catch (const std::exception& e) {
                outcome = {.status = Status::unreachable, .error = connect_failure(e)};
            }
        }
        if (!hops.empty()) {
            try {
                send(source, hops.back(), run.destinations[i]);
                console.lines(target.name,
                              "copied " + std::to_string(source.size) + " bytes to " +
                                  run.destinations[i] + " (sha256 " + source.sha256.substr(0, 16) +
                                  "…)",
                              false);
            } catch (const CallError& e) {
                outcome = {.status = Status::failed, .error = e.message()};
            } catch (const std::exception& e) {
                outcome = {.status = interrupted() ? Status::interrupted : Status::failed,
                           .error = e.what()};
            }
        }
        outcome.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        if (!outcome.error.empty()) {
            console.error(target.name,
                          std::string(status_name(outcome.status)) + ": " + outcome.error);
        }
        console.finished(outcome.status != Status::ok);
    });
    console.close();
    if (n > 1) {
        console.print(summary(run.targets, outcomes), true);
    }
    return exit_status(outcomes);
}

}  // namespace tether::cli
