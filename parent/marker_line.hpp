// Reading what a target's shell prints during the bootstrap: complete lines,
// bounded in length, and in them the session's marker (a random word the
// script prints before each of its announcements: START, HAVE, SEND <size>,
// GOT, FAIL <phase>: <why>, RUN). Pure functions over untrusted text, kept
// apart so that a fuzzer (tests/fuzz/bootstrap_text.cpp) drives exactly what
// BootstrapSession runs. Internal.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tether::detail {

// Appends `more` to `pending` and calls on_line(std::string) for each
// complete line, without its '\n'. An unterminated line longer than
// `max_line` is handed on whole. Returns false as soon as on_line does.
template <class OnLine>
bool take_lines(std::string& pending, std::string_view more, std::size_t max_line,
                OnLine&& on_line) {
    pending.append(more);
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        if (!on_line(pending.substr(start, nl - start))) {
            pending.erase(0, nl + 1);
            return false;
        }
    }
    pending.erase(0, start);
    if (pending.size() > max_line) {
        std::string line;
        line.swap(pending);
        return on_line(std::move(line));
    }
    return true;
}

struct MarkerLine {
    std::string before;  // output that ran into the marker (no final newline)
    std::string word;    // START, HAVE, SEND, ...
    std::string rest;    // after the word and one space
};

// The marker in `line` (a trailing '\r' ignored), or nothing.
std::optional<MarkerLine> parse_marker_line(std::string_view line, std::string_view marker);

// A FAIL marker's "<phase>: <why>"; without ':' the phase is all of it.
struct ScriptFailure {
    std::string phase;
    std::string why;
};
ScriptFailure parse_script_failure(std::string_view rest);

}  // namespace tether::detail
