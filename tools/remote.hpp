// The functions the `tether` tool calls in its targets. The tool is an
// ordinary tether program: these are exported like any user's functions and
// run in the context, on its main thread, one call at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tether/blob.hpp"

namespace tether::cli {

// Who and where a context is.
struct ContextInfo {
    std::string user = {};
    std::string host = {};
    std::int64_t pid = 0;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(user, host, pid);
    }
};

// What a command printed since the previous look, and whether it has ended.
struct ExecOutput {
    std::string out = {};
    std::string err = {};
    bool done = false;
    int exit_code = -1;  // when done: the exit status, or -1 when killed by a signal
    int signal = 0;      // when done by a signal: its number

    template <class Archive>
    void serialize(Archive& ar) {
        ar(out, err, done, exit_code, signal);
    }
};

ContextInfo context_info();

// Starts `argv` (looked up in PATH) in a process group of its own, stdin from
// /dev/null, stdout and stderr to pipes this context reads; it dies with the
// context. Returns its job number. Throws "command not found: NAME" or the
// reason it could not start.
std::uint64_t exec_start(std::vector<std::string> argv);
// Waits up to `wait_ms` for output or the end, and returns what there is.
// After `done` the job is gone.
ExecOutput exec_wait(std::uint64_t job, int wait_ms);
// Stops the job's whole process group: SIGTERM, then SIGKILL after
// `grace_ms`; reaps it. Returns what it printed meanwhile. A job already gone
// is not an error.
ExecOutput exec_kill(std::uint64_t job, int grace_ms);

// A file written in pieces next to `path` and renamed over it once its
// SHA-256 checks: readers of `path` see the old file or the whole new one.
std::uint64_t copy_open(std::string path, std::uint32_t mode);
void copy_write(std::uint64_t file, const Blob& bytes);
// Syncs, checks the SHA-256 of what is on disk, sets the mode, renames.
// Throws (and removes the temporary) on a mismatch.
void copy_commit(std::uint64_t file, std::string sha256_hex);
void copy_abort(std::uint64_t file);

}  // namespace tether::cli
