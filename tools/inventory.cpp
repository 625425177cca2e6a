#include "tools/inventory.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tether::cli {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> out;
    std::istringstream in{std::string(line)};
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

std::string expand_home(const std::string& path) {
    if (path.rfind("~/", 0) == 0) {
        if (const char* home = std::getenv("HOME")) {
            return home + path.substr(1);
        }
    }
    return path;
}

bool is_spec(const std::string& entry) {
    return entry == "local" || entry.find(':') != std::string::npos ||
           entry.find('/') != std::string::npos;
}

std::vector<std::string> split(std::string_view s, char by) {
    std::vector<std::string> out;
    while (true) {
        auto at = s.find(by);
        out.emplace_back(s.substr(0, at));
        if (at == std::string_view::npos) {
            return out;
        }
        s.remove_prefix(at + 1);
    }
}

}  // namespace

Inventory Inventory::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw UsageError(path + ": cannot read the inventory");
    }
    std::stringstream text;
    text << in.rdbuf();
    return parse(text.str(), path);
}

Inventory Inventory::parse(std::string_view text, const std::string& origin) {
    Inventory inv;
    std::string group;
    int number = 0;
    for (const std::string& raw : split(text, '\n')) {
        ++number;
        auto where = [&] { return origin + ":" + std::to_string(number) + ": "; };
        std::string_view line = raw;
        // A comment runs from a '#' at the start or after a blank to the end.
        for (std::size_t at = line.find('#'); at != std::string_view::npos;
             at = line.find('#', at + 1)) {
            if (at == 0 || line[at - 1] == ' ' || line[at - 1] == '\t') {
                line = line.substr(0, at);
                break;
            }
        }
        line = trim(line);
        if (line.empty() || line.front() == ';') {
            continue;
        }
        if (line.front() == '[') {
            if (line.back() != ']' || line.size() < 3) {
                throw UsageError(where() + "a group header is written [NAME]");
            }
            group = std::string(trim(line.substr(1, line.size() - 2)));
            if (group == "all" || group.find_first_of(" \t,@/") != std::string::npos) {
                throw UsageError(where() + "'" + group + "' cannot be a group name");
            }
            inv.groups_[group];
            continue;
        }
        std::vector<std::string> w = words(line);
        const std::string& entry = w.front();
        if (is_spec(entry)) {
            if (w.size() > 1) {
                throw UsageError(where() +
                                 "a target written in the target syntax takes no "
                                 "options; give the host a name instead");
            }
            try {
                parse_target(entry);  // checked now, to say which line
            } catch (const UsageError& e) {
                throw UsageError(where() + e.what());
            }
        } else {
            InventoryHost& host = inv.hosts_[entry];
            host.name = entry;
            for (std::size_t i = 1; i < w.size(); ++i) {
                auto eq = w[i].find('=');
                std::string key = w[i].substr(0, eq);
                std::string value = eq == std::string::npos ? "" : w[i].substr(eq + 1);
                if (eq == std::string::npos || value.empty()) {
                    throw UsageError(where() + "expected KEY=VALUE, got '" + w[i] + "'");
                }
                if (key == "host") {
                    host.host = value;
                } else if (key == "port") {
                    int port = 0;
                    auto [end, ec] =
                        std::from_chars(value.data(), value.data() + value.size(), port);
                    if (ec != std::errc{} || end != value.data() + value.size() || port < 1 ||
                        port > 65535) {
                        throw UsageError(where() + "port '" + value + "' is not 1 to 65535");
                    }
                    host.port = port;
                } else if (key == "user") {
                    host.user = value;
                } else if (key == "identity") {
                    host.identity_file = expand_home(value);
                } else {
                    throw UsageError(where() + "unknown host option '" + key +
                                     "' (host, port, user, identity)");
                }
            }
        }
        auto& members = group.empty() ? inv.all_ : inv.groups_[group];
        if (std::find(members.begin(), members.end(), entry) == members.end()) {
            members.push_back(entry);
        }
        if (!group.empty() &&
            std::find(inv.all_.begin(), inv.all_.end(), entry) == inv.all_.end()) {
            inv.all_.push_back(entry);
        }
    }
    return inv;
}

const std::vector<std::string>* Inventory::group(const std::string& name) const {
    if (name == "all") {
        return &all_;
    }
    auto it = groups_.find(name);
    return it == groups_.end() ? nullptr : &it->second;
}

const InventoryHost* Inventory::host(const std::string& name) const {
    auto it = hosts_.find(name);
    return it == hosts_.end() ? nullptr : &it->second;
}

namespace {

// One target argument (no ',' or '@'): inventory names become ssh hops, then
// ssh hops take their inventory host's options.
Target resolve_one(const std::string& text, const Inventory& inventory) {
    std::string spec;
    for (const std::string& hop : split_hops(text)) {
        // Any other bare name is a host too: parse_target makes it ssh.
        bool bare = hop.find(':') == std::string::npos && hop != "local" && hop != "sudo" &&
                    hop != "su" && hop != "fork" && hop != "doas";
        spec += (spec.empty() ? "" : "/") + (bare && inventory.host(hop) ? "ssh:" + hop : hop);
    }
    Target target = parse_target(spec);
    target.name = text;
    for (Hop& hop : target.hops) {
        const InventoryHost* known = hop.method == Method::ssh ? inventory.host(hop.host) : nullptr;
        if (!known) {
            continue;
        }
        hop.alias = known->name;
        hop.host = known->host.empty() ? known->name : known->host;
        hop.port = hop.port ? hop.port : known->port;
        hop.user = hop.user.empty() ? known->user : hop.user;
        hop.identity_file = known->identity_file;
    }
    return target;
}

}  // namespace

std::vector<Target> resolve_targets(const std::vector<std::string>& arguments,
                                    const Inventory& inventory,
                                    std::vector<std::size_t>* argument_of) {
    std::vector<Target> targets;
    std::size_t index = 0;
    auto add = [&](Target target) {
        int seen = 0;
        std::string base = target.name;
        for (const Target& t : targets) {
            seen += t.name == base || t.name.rfind(base + "#", 0) == 0;
        }
        if (seen > 0) {
            target.instance = seen + 1;
            target.name = base + "#" + std::to_string(target.instance);
        }
        targets.push_back(std::move(target));
        if (argument_of) {
            argument_of->push_back(index);
        }
    };
    for (; index < arguments.size(); ++index) {
        const std::string& argument = arguments[index];
        for (const std::string& text : split(argument, ',')) {
            if (text.empty()) {
                throw UsageError("an empty target in '" + argument + "'");
            }
            if (text.front() != '@') {
                add(resolve_one(text, inventory));
                continue;
            }
            const std::vector<std::string>* members = inventory.group(text.substr(1));
            if (!members) {
                throw UsageError("no group '" + text.substr(1) + "' in the inventory" +
                                 (inventory.group("all")->empty() ? " (none given: -i FILE)" : ""));
            }
            for (const std::string& member : *members) {
                bool already = false;
                for (const Target& t : targets) {
                    already |= t.name == member;
                }
                if (!already) {
                    add(resolve_one(member, inventory));
                }
            }
        }
    }
    if (targets.empty()) {
        throw UsageError("no targets");
    }
    return targets;
}

}  // namespace tether::cli
