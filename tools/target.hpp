// What `tether` is pointed at: a target is a chain of hops, each one way of
// starting a context from the previous one (or from the tool itself), written
// `local`, `sudo:USER`, `su:USER` or `ssh:[USER@]HOST[:PORT]` (or a bare
// `[USER@]HOST[:PORT]`, which means ssh) and joined by `/`, e.g.
// `ssh:deploy@web1/sudo:root`. Values.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tether::cli {

// A command line or inventory the tool cannot use: exit status 2, nothing run.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

enum class Method { local, sudo, su, ssh };

struct Hop {
    Method method = Method::local;
    std::string user = {};           // sudo/su: the user to become; ssh: the login (empty: ours)
    std::string host = {};           // ssh: the name or address to connect to
    std::optional<int> port = {};    // ssh: empty means 22 (or the inventory's port)
    std::string identity_file = {};  // ssh: from the inventory
    std::string alias = {};          // ssh: the inventory name, when the host came from one
    std::string text = {};           // the hop as written (empty: built from the fields)

    // The hop as the target syntax writes it (`sudo:root`, `ssh:deploy@web1:2222`),
    // as the user wrote it when parsed: an inventory host keeps its name.
    std::string spec() const;
};

struct Target {
    std::string name = {};  // as the user wrote it (or the inventory host): output prefix
    std::vector<Hop> hops = {};
    // 2 for the second target written the same way (`NAME#2`), and so on:
    // its hops are its own, not shared with the first's.
    int instance = 1;

    // The spec of the first `n` hops joined by '/' (and "#N " before it for
    // instance N > 1): the key under which those hops are shared. "" for 0.
    std::string prefix(std::size_t n) const;
};

// One target written in the target syntax. Throws UsageError saying what is
// wrong and what the syntax is.
Target parse_target(std::string_view spec);

// The syntax, for error messages and --help.
extern const char* const kTargetSyntax;

}  // namespace tether::cli
