// The inventory file (`tether -i FILE`) and turning command-line target
// arguments into targets. The format, line by line:
//
//   # a comment                     blank lines and comments are skipped
//   [web]                           starts the group `web` (@web)
//   web1 host=10.0.0.5 port=2222 user=deploy identity=~/.ssh/deploy
//   web2                            an SSH host named like its address
//   sudo:tt_bob                     any target in the target syntax
//
// A host may appear in several groups; its options are merged. `@all` is
// every entry in file order. Values (the loaded file is read-only).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/target.hpp"

namespace tether::cli {

struct InventoryHost {
    std::string name = {};
    std::string host = {};  // empty: the name
    std::optional<int> port = {};
    std::string user = {};
    std::string identity_file = {};
};

class Inventory {
  public:
    // Throws UsageError "FILE:LINE: why" (or "FILE: why" if it cannot be read).
    static Inventory load(const std::string& path);
    static Inventory parse(std::string_view text, const std::string& origin);

    // The entries of a group (each a host name or a target spec), or nullptr.
    const std::vector<std::string>* group(const std::string& name) const;
    const InventoryHost* host(const std::string& name) const;

  private:
    std::vector<std::string> all_;
    std::map<std::string, std::vector<std::string>> groups_;
    std::map<std::string, InventoryHost> hosts_;
};

// Every target the arguments name, in order: ',' separates targets, @GROUP
// stands for the group's entries (skipping those already named), an
// inventory host stands for `ssh:HOST` with its options, and an SSH hop whose
// host is an inventory host takes that host's address, port, user and key.
// Targets written twice stay, the second named `NAME#2`. `argument_of`, if
// given, gets for each target the index of the argument it came from.
// Throws UsageError.
std::vector<Target> resolve_targets(const std::vector<std::string>& arguments,
                                    const Inventory& inventory,
                                    std::vector<std::size_t>* argument_of = nullptr);

}  // namespace tether::cli
