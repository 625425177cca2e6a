// tether tree: the contexts the targets make, as a tree (hops that targets
// share appear once), in text or Graphviz DOT.
#include <unistd.h>

#include <map>
#include <mutex>

#include "tools/commands.hpp"
#include "tools/fleet.hpp"
#include "tools/interrupt.hpp"
#include "tools/remote.hpp"

namespace tether::cli {
namespace {

struct Node {
    std::string hop = {};  // "ssh:web1", or "" for the tool itself
    std::string label;     // "ssh.web1 (deploy@web1 pid 12)" or "unreachable: why"
    bool failed = false;
    std::vector<std::string> children = {};  // keys, in the order first seen
};

std::string dot_quote(const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            q += '\\';
        }
        if (c == '\n') {
            q += "\\n";  // DOT's own line break inside a label
            continue;
        }
        q += c;
    }
    return q + "\"";
}

void print_text(const std::map<std::string, Node>& nodes, const std::string& key,
                const std::string& indent, std::string& out) {
    const Node& node = nodes.at(key);
    for (std::size_t i = 0; i < node.children.size(); ++i) {
        bool last = i + 1 == node.children.size();
        const Node& child = nodes.at(node.children[i]);
        out += indent + (last ? "└── " : "├── ") + child.hop + "  " + child.label + "\n";
        print_text(nodes, node.children[i], indent + (last ? "    " : "│   "), out);
    }
}

}  // namespace

int run_tree(Run& run) {
    std::size_t n = run.targets.size();
    std::vector<Outcome> outcomes(n);
    std::mutex mutex;
    std::map<std::string, Node> nodes;
    ContextInfo me = context_info();
    nodes[""] = Node{.label = "tether (" + me.user + "@" + me.host + " pid " +
                              std::to_string(me.pid) + ")"};
    for (const Target& t : run.targets) {  // the shape first, so the order is the targets'
        for (std::size_t h = 0; h < t.hops.size(); ++h) {
            std::string key = t.prefix(h + 1);
            if (nodes.emplace(key, Node{.hop = t.hops[h].spec(), .label = "not reached"}).second) {
                nodes[t.prefix(h)].children.push_back(key);
            }
        }
    }
    // Each hop that is up gets its name, user, host and pid; the hop that
    // failed gets why; those behind it stay "not reached".
    auto describe = [&](const Target& t, const std::vector<Context>& up) {
        for (std::size_t h = 0; h < up.size(); ++h) {
            ContextInfo info = up[h].call(context_info);
            std::lock_guard lock(mutex);
            nodes[t.prefix(h + 1)].label = up[h].name() + " (" + info.user + "@" + info.host +
                                           " pid " + std::to_string(info.pid) + ")";
        }
    };
    for_each_target(n, run.line.forks, [&](std::size_t i) {
        const Target& t = run.targets[i];
        Release release(run.connector, t);
        if (interrupted()) {
            outcomes[i] = {.status = Status::interrupted, .error = "not started"};
            return;
        }
        std::vector<Context> up;
        try {
            up = run.connector.open(t, &up);
        } catch (const std::exception& e) {
            outcomes[i] = {.status = Status::unreachable, .error = connect_failure(e)};
            std::lock_guard lock(mutex);
            Node& failed = nodes[t.prefix(up.size() + 1)];
            failed.label = "unreachable: " + outcomes[i].error;
            failed.failed = true;
        }
        try {
            describe(t, up);
        } catch (const std::exception& e) {
            outcomes[i] = {.status = Status::failed, .error = e.what()};
        }
    });
    std::string out;
    if (run.line.dot) {
        out = "digraph tether {\n  node [shape=box, fontname=\"monospace\"];\n";
        for (const auto& [key, node] : nodes) {
            std::string id = key.empty() ? "tether" : key;
            std::string label = key.empty() ? node.label : node.hop + "\n" + node.label;
            out += "  " + dot_quote(id) + " [label=" + dot_quote(label) +
                   (node.failed ? ", color=red, fontcolor=red" : "") + "];\n";
            for (const std::string& child : node.children) {
                out += "  " + dot_quote(id) + " -> " + dot_quote(child) + ";\n";
            }
        }
        out += "}\n";
    } else {
        out = nodes.at("").label + "\n";
        print_text(nodes, "", "", out);
    }
    [[maybe_unused]] ssize_t ignored = ::write(1, out.data(), out.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (!outcomes[i].error.empty()) {
            std::string line = "tether: " + run.targets[i].name + ": " +
                               status_name(outcomes[i].status) + ": " + outcomes[i].error + "\n";
            ignored = ::write(2, line.data(), line.size());
        }
    }
    return exit_status(outcomes);
}

}  // namespace tether::cli
