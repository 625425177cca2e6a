// What the tool prints while targets run: each target's output lines with its
// name in front, as they arrive; one-line errors; and, on a terminal, a
// progress line (targets done / total, failures) kept below the output.
// Thread safety: every method from any thread.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

namespace tether::cli {

class Console {
  public:
    // `progress`: draw the progress line on stderr (the caller decides: a
    // terminal, and more than a few targets).
    Console(std::size_t total, bool progress);

    // Complete lines, each printed as "NAME: line" to stdout (or stderr).
    void lines(const std::string& name, std::string_view text, bool to_stderr);
    // "tether: NAME: message" on stderr.
    void error(const std::string& name, const std::string& message);
    // Anything else on stdout or stderr, as is.
    void print(const std::string& text, bool to_stderr = false);
    // One target finished.
    void finished(bool failed);
    // Removes the progress line for good.
    void close();

  private:
    void clear_progress();
    void draw_progress();

    std::mutex mutex_;
    std::size_t total_;
    std::size_t done_ = 0;
    std::size_t failed_ = 0;
    bool progress_;
    bool drawn_ = false;
};

// Splits a stream of bytes into whole lines; keeps the unfinished last one.
class LineBuffer {
  public:
    // The whole lines `more` completes (each ending in '\n').
    std::string take(std::string_view more);
    // What is left (an unterminated last line), with a '\n' added.
    std::string rest();

  private:
    std::string pending_ = {};
};

}  // namespace tether::cli
