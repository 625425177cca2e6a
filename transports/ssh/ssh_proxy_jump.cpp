#include "transports/ssh/ssh_proxy_jump.hpp"

#include <fnmatch.h>
#include <glob.h>

#include <cctype>
#include <charconv>
#include <fstream>

#include "tether/errors.hpp"

namespace tether::detail {
namespace {

constexpr int kMaxIncludeDepth = 16;  // OpenSSH's READCONF_MAX_DEPTH

std::string lower(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

// A line's keyword and arguments: `Keyword arg "arg with spaces"`, or
// `Keyword=arg`. Empty for blank lines and comments.
std::vector<std::string> tokens(const std::string& line) {
    std::vector<std::string> out;
    std::size_t i = 0;
    auto blank = [&](std::size_t at) {
        return at < line.size() && std::isspace(static_cast<unsigned char>(line[at]));
    };
    while (true) {
        while (blank(i)) {
            ++i;
        }
        if (out.size() == 1 && i < line.size() && line[i] == '=') {
            ++i;  // Keyword = value
            continue;
        }
        if (i >= line.size() || (out.empty() && line[i] == '#')) {
            break;
        }
        std::string word;
        if (line[i] == '"') {
            std::size_t close = line.find('"', i + 1);
            word =
                line.substr(i + 1, close == std::string::npos ? std::string::npos : close - i - 1);
            i = close == std::string::npos ? line.size() : close + 1;
        } else {
            while (i < line.size() && !blank(i) && !(out.empty() && line[i] == '=')) {
                word += line[i++];
            }
        }
        out.push_back(std::move(word));
    }
    return out;
}

// OpenSSH's pattern lists: comma-separated, `!` negates; a negated match
// wins over every other.
bool matches_list(const std::string& subject, const std::string& list, bool fold_case) {
    std::string s = fold_case ? lower(subject) : subject;
    bool matched = false;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t comma = list.find(',', start);
        std::string pattern = list.substr(start, comma - start);
        start = comma == std::string::npos ? list.size() + 1 : comma + 1;
        bool negated = !pattern.empty() && pattern.front() == '!';
        if (negated) {
            pattern.erase(0, 1);
        }
        if (pattern.empty()) {
            continue;
        }
        if (fold_case) {
            pattern = lower(pattern);
        }
        if (::fnmatch(pattern.c_str(), s.c_str(), 0) == 0) {
            if (negated) {
                return false;
            }
            matched = true;
        }
    }
    return matched;
}

class Reader {
  public:
    explicit Reader(const ConfigFacts& facts) : facts_(facts) {}

    void read(const std::string& path, bool global, bool active, int depth) {
        std::ifstream in(path);
        std::string line;
        for (int number = 1; !found_ && std::getline(in, line); ++number) {
            std::vector<std::string> t = tokens(line);
            if (t.empty()) {
                continue;
            }
            std::string keyword = lower(t.front());
            t.erase(t.begin());
            if (keyword == "host") {
                active = host_matches(t);
            } else if (keyword == "match") {
                active = match_matches(t);
            } else if (keyword == "include" && active && depth < kMaxIncludeDepth) {
                for (const std::string& pattern : t) {
                    include(pattern, global, depth);
                }
            } else if ((keyword == "proxyjump" || keyword == "proxycommand") && active) {
                std::string value;
                for (const std::string& word : t) {
                    value += (value.empty() ? "" : " ") + word;
                }
                found_ = ProxySetting{keyword, value, path + ":" + std::to_string(number)};
            }
        }
    }

    std::optional<ProxySetting> found() const { return found_; }

  private:
    bool host_matches(const std::vector<std::string>& patterns) const {
        bool matched = false;
        for (const std::string& p : patterns) {
            bool negated = !p.empty() && p.front() == '!';
            if (matches_list(facts_.original_host, negated ? p.substr(1) : p, true)) {
                if (negated) {
                    return false;
                }
                matched = true;
            }
        }
        return matched;
    }

    bool match_matches(const std::vector<std::string>& criteria) const {
        bool result = true;
        for (std::size_t i = 0; i < criteria.size(); ++i) {
            std::string c = lower(criteria[i]);
            bool negated = !c.empty() && c.front() == '!';
            if (negated) {
                c.erase(0, 1);
            }
            if (c == "all" || c == "canonical" || c == "final") {
                result = result && !negated;
                continue;
            }
            const std::string arg = i + 1 < criteria.size() ? criteria[++i] : std::string();
            bool hit = false;
            if (c == "host") {
                hit = matches_list(facts_.host, arg, true);
            } else if (c == "originalhost") {
                hit = matches_list(facts_.original_host, arg, true);
            } else if (c == "user") {
                hit = matches_list(facts_.user, arg, false);
            } else if (c == "localuser") {
                hit = matches_list(facts_.local_user, arg, false);
            } else {
                return false;  // exec, or what tether does not know: not matching
            }
            result = result && (hit != negated);
        }
        return result;
    }

    void include(std::string pattern, bool global, int depth) {
        if (pattern.rfind("~/", 0) == 0) {
            pattern = facts_.home + pattern.substr(1);
        } else if (pattern.empty() || pattern.front() != '/') {
            pattern = (global ? std::string("/etc/ssh/") : facts_.home + "/.ssh/") + pattern;
        }
        glob_t g{};
        if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
            for (std::size_t i = 0; i < g.gl_pathc && !found_; ++i) {
                read(g.gl_pathv[i], global, true, depth + 1);
            }
        }
        ::globfree(&g);
    }

    const ConfigFacts& facts_;
    std::optional<ProxySetting> found_;
};

[[noreturn]] void bad_hop(const std::string& text, const std::string& why) {
    throw Error("ssh: ProxyJump entry '" + text + "': " + why);
}

JumpHop parse_hop(const std::string& text) {
    JumpHop hop{.text = text};
    std::string rest = text;
    if (rest.rfind("ssh://", 0) == 0) {
        rest.erase(0, 6);
    }
    if (auto at = rest.rfind('@'); at != std::string::npos) {
        hop.user = rest.substr(0, at);
        rest.erase(0, at + 1);
        if (hop.user.empty()) {
            bad_hop(text, "empty user name");
        }
    }
    std::string port;
    if (!rest.empty() && rest.front() == '[') {
        auto close = rest.find(']');
        if (close == std::string::npos) {
            bad_hop(text, "unterminated '['");
        }
        hop.host = rest.substr(1, close - 1);
        rest.erase(0, close + 1);
        if (!rest.empty() && rest.front() != ':') {
            bad_hop(text, "expected ':PORT' after ']'");
        }
        port = rest.empty() ? "" : rest.substr(1);
    } else {
        auto colon = rest.rfind(':');
        hop.host = rest.substr(0, colon);
        port = colon == std::string::npos ? "" : rest.substr(colon + 1);
    }
    if (hop.host.empty()) {
        bad_hop(text, "no host");
    }
    if (!port.empty() || rest.find(':') != std::string::npos) {
        int n = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
        if (ec != std::errc{} || end != port.data() + port.size() || n < 1 || n > 65535) {
            bad_hop(text, "port '" + port + "' is not a number from 1 to 65535");
        }
        hop.port = n;
    }
    return hop;
}

}  // namespace

std::optional<ProxySetting> find_proxy_setting(const std::vector<ConfigFile>& files,
                                               const ConfigFacts& facts) {
    Reader reader(facts);
    for (const ConfigFile& file : files) {
        reader.read(file.path, file.global, true, 0);
        if (reader.found()) {
            break;
        }
    }
    return reader.found();
}

std::vector<JumpHop> parse_proxy_jump(const std::string& value) {
    std::vector<JumpHop> hops;
    if (lower(value) == "none") {
        return hops;
    }
    std::size_t start = 0;
    while (start <= value.size()) {
        std::size_t comma = value.find(',', start);
        hops.push_back(parse_hop(value.substr(start, comma - start)));
        start = comma == std::string::npos ? value.size() + 1 : comma + 1;
    }
    return hops;
}

}  // namespace tether::detail
