#include "parent/marker_line.hpp"

namespace tether::detail {

std::optional<MarkerLine> parse_marker_line(std::string_view line, std::string_view marker) {
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    std::string prefix = std::string(marker) + " ";
    auto at = line.find(prefix);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    MarkerLine m;
    m.before = std::string(line.substr(0, at));
    std::string_view rest = line.substr(at + prefix.size());
    auto space = rest.find(' ');
    m.word = std::string(rest.substr(0, space));
    if (space != std::string_view::npos) {
        m.rest = std::string(rest.substr(space + 1));
    }
    return m;
}

ScriptFailure parse_script_failure(std::string_view rest) {
    auto colon = rest.find(':');
    if (colon == std::string_view::npos) {
        return {std::string(rest), std::string(rest)};
    }
    std::string_view why = rest.substr(colon + 1);
    if (!why.empty() && why.front() == ' ') {
        why.remove_prefix(1);
    }
    return {std::string(rest.substr(0, colon)), std::string(why)};
}

}  // namespace tether::detail
