#include "tools/target.hpp"

#include <charconv>

namespace tether::cli {

const char* const kTargetSyntax =
    "local, sudo:USER, su:USER, doas:USER, ssh:[USER@]HOST[:PORT], fork, chroot:PATH (to the "
    "end) or chroot:[PATH], docker:CONTAINER, podman:CONTAINER, lxc:CONTAINER, "
    "kubectl:[NAMESPACE/]POD[:CONTAINER], setns:pid=PID, setns:net=NAME, @GROUP, an inventory "
    "host or a bare [USER@]HOST[:PORT] (ssh), hops joined by '/' (deploy@web1/sudo:root), "
    "targets by ','";

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

// A container, pod or namespace name: what valid_name allows, but no ':'.
std::string parse_plain_name(std::string_view whole, std::string_view text, const char* what) {
    if (!valid_name(text) || text.find(':') != std::string_view::npos) {
        bad(whole, text.empty() ? std::string("no ") + what
                                : "'" + std::string(text) + "' is not a " + what);
    }
    return std::string(text);
}

Hop parse_kubectl(std::string_view whole, std::string_view rest) {
    Hop hop{.method = Method::kubectl};
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        hop.kube_namespace = parse_plain_name(whole, rest.substr(0, slash), "namespace");
        rest.remove_prefix(slash + 1);
    }
    auto colon = rest.find(':');
    hop.pod = parse_plain_name(whole, rest.substr(0, colon), "pod");
    if (colon != std::string_view::npos) {
        hop.container = parse_plain_name(whole, rest.substr(colon + 1), "container");
    }
    return hop;
}

Hop parse_setns(std::string_view whole, std::string_view rest) {
    Hop hop{.method = Method::setns};
    if (rest.substr(0, 4) == "pid=") {
        std::string_view digits = rest.substr(4);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), hop.pid);
        if (ec != std::errc{} || end != digits.data() + digits.size() || hop.pid < 1) {
            bad(whole, "'" + std::string(digits) + "' is not a process id");
        }
    } else if (rest.substr(0, 4) == "net=") {
        hop.netns = parse_plain_name(whole, rest.substr(4), "network namespace");
    } else {
        bad(whole, "setns takes pid=PID or net=NAME");
    }
    return hop;
}

// `PATH` (the rest of the target: split_hops gives it whole) or `[PATH]`.
Hop parse_chroot(std::string_view whole, std::string_view path) {
    if (!path.empty() && path.front() == '[') {
        auto close = path.find(']');
        if (close == std::string_view::npos) {
            bad(whole, "unterminated '[' in the chroot path");
        }
        if (close + 1 != path.size()) {
            bad(whole, "expected '/' or the end after ']'");
        }
        path = path.substr(1, close - 1);
    }
    if (path.empty() || path.front() == '-') {
        bad(whole,
            path.empty() ? "chroot needs a path" : "'" + std::string(path) + "' is not a path");
    }
    return Hop{.method = Method::chroot, .path = std::string(path)};
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
    if (method == "sudo" || method == "su" || method == "doas") {
        Hop hop{.method = method == "sudo" ? Method::sudo
                          : method == "su" ? Method::su
                                           : Method::doas};
        hop.user = colon == std::string_view::npos ? "root" : std::string(rest);
        if (!valid_name(hop.user) || hop.user.find(':') != std::string::npos) {
            bad(whole, "'" + hop.user + "' is not a user name");
        }
        return hop;
    }
    if (method == "ssh") {
        return parse_ssh(whole, rest);
    }
    if (method == "fork") {
        if (colon != std::string_view::npos) {
            bad(whole, "'fork' takes nothing after it");
        }
        return Hop{.method = Method::fork};
    }
    if (method == "docker" || method == "podman" || method == "lxc") {
        Hop hop{.method = method == "docker"   ? Method::docker
                          : method == "podman" ? Method::podman
                                               : Method::lxc};
        hop.container = parse_plain_name(whole, rest, "container");
        return hop;
    }
    if (method == "kubectl") {
        return parse_kubectl(whole, rest);
    }
    if (method == "setns") {
        return parse_setns(whole, rest);
    }
    if (method == "chroot") {
        return parse_chroot(whole, rest);
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
        case Method::doas:
            return "doas:" + user;
        case Method::chroot:
            return "chroot:[" + path + "]";
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
        case Method::fork:
            return "fork";
        case Method::docker:
            return "docker:" + container;
        case Method::podman:
            return "podman:" + container;
        case Method::lxc:
            return "lxc:" + container;
        case Method::kubectl:
            return "kubectl:" + (kube_namespace.empty() ? "" : kube_namespace + "/") + pod +
                   (container.empty() ? "" : ":" + container);
        case Method::setns:
            return pid > 0 ? "setns:pid=" + std::to_string(pid) : "setns:net=" + netns;
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

std::vector<std::string> split_hops(std::string_view spec) {
    // Every method name the syntax has or will have (issue 16), so that a
    // pod is never mistaken for one.
    static constexpr std::string_view kMethods[] = {"local",  "fork",   "sudo",    "su",
                                                    "doas",   "chroot", "ssh",     "docker",
                                                    "podman", "lxc",    "kubectl", "setns"};
    auto starts_hop = [](std::string_view segment) {
        std::string_view head = segment.substr(0, segment.find(':'));
        for (std::string_view m : kMethods) {
            if (head == m) {
                return true;
            }
        }
        return false;
    };
    std::vector<std::string> hops;
    std::string_view rest = spec;
    while (true) {
        auto slash = rest.find('/');
        // A chroot path holds '/': the hop runs to the end, or past its ']'
        // to the next '/' (parse_chroot refuses anything between).
        if (rest.starts_with("chroot:")) {
            slash = std::string_view::npos;
            if (rest.size() > 7 && rest[7] == '[') {
                auto close = rest.find(']');
                slash = close == std::string_view::npos ? close : rest.find('/', close);
            }
        }
        std::string hop(rest.substr(0, slash));
        // `kubectl:NAMESPACE/POD...`: the pod's segment belongs to this hop.
        if (slash != std::string_view::npos && hop.starts_with("kubectl:") &&
            hop.find(':', 8) == std::string::npos) {
            std::string_view next = rest.substr(slash + 1);
            next = next.substr(0, next.find('/'));
            if (!starts_hop(next)) {
                hop += "/" + std::string(next);
                rest.remove_prefix(slash + 1);
                slash = rest.find('/');
            }
        }
        hops.push_back(std::move(hop));
        if (slash == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(slash + 1);
    }
    return hops;
}

Target parse_target(std::string_view spec) {
    Target target{.name = std::string(spec)};
    for (std::string& text : split_hops(spec)) {
        target.hops.push_back(parse_hop(spec, text));
        target.hops.back().text = std::move(text);
    }
    return target;
}

}  // namespace tether::cli
