#include "tools/target.hpp"

#include <charconv>

namespace tether::cli {

const char* const kTargetSyntax =
    "local, sudo:USER, su:USER, ssh:[USER@]HOST[:PORT], @GROUP, an inventory host or a bare "
    "[USER@]HOST[:PORT] (ssh), hops joined by '/' (deploy@web1/sudo:root), targets by ','";

namespace {

[[noreturn]] void bad(std::string_view spec, const std::string& why) {
    throw UsageError("unknown target syntax '" + std::string(spec) + "': " + why + " (expected " +
                     kTargetSyntax + ")");
}

bool valid_name(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_' || c == ':';
        if (!ok) {
            return false;
        }
    }
    return s.front() != '-';
}

int parse_port(std::string_view whole, std::string_view text) {
    int port = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc{} || end != text.data() + text.size() || port < 1 || port > 65535) {
        bad(whole, "port '" + std::string(text) + "' is not a number from 1 to 65535");
    }
    return port;
}

Hop parse_ssh(std::string_view whole, std::string_view rest) {
    Hop hop{.method = Method::ssh};
    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        hop.user = std::string(rest.substr(0, at));
        rest.remove_prefix(at + 1);
        if (!valid_name(hop.user) || hop.user.find(':') != std::string::npos) {
            bad(whole, "'" + hop.user + "' is not a user name");
        }
    }
    if (!rest.empty() && rest.front() == '[') {  // [v6 address][:port]
        auto close = rest.find(']');
        if (close == std::string_view::npos) {
            bad(whole, "unterminated '[' in the host");
        }
        hop.host = std::string(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                bad(whole, "expected ':PORT' after ']'");
            }
            hop.port = parse_port(whole, rest.substr(1));
        }
    } else {
        auto colon = rest.find(':');
        hop.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) {
            hop.port = parse_port(whole, rest.substr(colon + 1));
        }
    }
    if (hop.host.empty() || !valid_name(hop.host)) {
        bad(whole, hop.host.empty() ? "ssh needs a host" : "'" + hop.host + "' is not a host");
    }
    return hop;
}

Hop parse_hop(std::string_view whole, std::string_view text) {
    auto colon = text.find(':');
    std::string_view method = text.substr(0, colon);
    std::string_view rest = colon == std::string_view::npos ? "" : text.substr(colon + 1);
    if (method == "local") {
        if (colon != std::string_view::npos) {
            bad(whole, "'local' takes nothing after it");
        }
        return Hop{.method = Method::local};
    }
    if (method == "sudo" || method == "su") {
        Hop hop{.method = method == "sudo" ? Method::sudo : Method::su};
        hop.user = colon == std::string_view::npos ? "root" : std::string(rest);
        if (!valid_name(hop.user) || hop.user.find(':') != std::string::npos) {
            bad(whole, "'" + hop.user + "' is not a user name");
        }
        return hop;
    }
    if (method == "ssh") {
        return parse_ssh(whole, rest);
    }
    if (text.empty()) {
        bad(whole, "an empty hop");
    }
    // Not a method: a host, `web1` or `deploy@web1:2222` meaning ssh:... (so
    // `NAME:WORD`, where WORD is no port, is a method we do not know).
    bool port_after = rest.find_first_not_of("0123456789") == std::string_view::npos;
    if (colon != std::string_view::npos && !port_after &&
        method.find_first_of("@.[") == std::string_view::npos) {
        bad(whole, "no method '" + std::string(method) + "'");
    }
    return parse_ssh(whole, text);
}

}  // namespace

std::string Hop::spec() const {
    if (!text.empty()) {
        return text;
    }
    switch (method) {
        case Method::local:
            return "local";
        case Method::sudo:
            return "sudo:" + user;
        case Method::su:
            return "su:" + user;
        case Method::ssh: {
            std::string s = "ssh:";
            if (!user.empty()) {
                s += user + "@";
            }
            s += host.find(':') != std::string::npos ? "[" + host + "]" : host;
            if (port) {
                s += ":" + std::to_string(*port);
            }
            return s;
        }
    }
    return "?";
}

std::string Target::prefix(std::size_t n) const {
    std::string s;
    if (instance > 1 && n > 0) {
        s = "#" + std::to_string(instance) + " ";
    }
    for (std::size_t i = 0; i < n && i < hops.size(); ++i) {
        s += (i ? "/" : "");
        s += hops[i].spec();
    }
    return s;
}

Target parse_target(std::string_view spec) {
    Target target{.name = std::string(spec)};
    std::string_view rest = spec;
    while (true) {
        auto slash = rest.find('/');
        target.hops.push_back(parse_hop(spec, rest.substr(0, slash)));
        target.hops.back().text = std::string(rest.substr(0, slash));
        if (slash == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(slash + 1);
    }
    return target;
}

}  // namespace tether::cli
