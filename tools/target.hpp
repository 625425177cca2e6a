// What `tether` is pointed at: a target is a chain of hops, each one way of
// starting a context from the previous one (or from the tool itself), written
// `local`, `sudo:USER`, `su:USER`, `ssh:[USER@]HOST[:PORT]` (or a bare
// `[USER@]HOST[:PORT]`, which means ssh), `fork`, `docker:CONTAINER`,
// `podman:CONTAINER`, `lxc:CONTAINER`, `kubectl:[NAMESPACE/]POD[:CONTAINER]`,
// `setns:pid=PID`, `setns:net=NAME`, `doas:USER` or `chroot:PATH`, and joined
// by `/`, e.g. `ssh:deploy@web1/sudo:root`. A chroot path runs to the end of
// the target (`chroot:/srv/root`), or is written in brackets to go on from
// there (`chroot:[/srv/root]/sudo:bob`). Values.
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

enum class Method { local, sudo, su, ssh, fork, docker, podman, lxc, kubectl, setns, doas, chroot };

struct Hop {
    Method method = Method::local;
    std::string user = {};           // sudo/su: the user to become; ssh: the login (empty: ours)
    std::string host = {};           // ssh: the name or address to connect to
    std::optional<int> port = {};    // ssh: empty means 22 (or the inventory's port)
    std::string identity_file = {};  // ssh: from the inventory
    std::string alias = {};          // ssh: the inventory name, when the host came from one
    std::string text = {};           // the hop as written (empty: built from the fields)
    // docker, podman, lxc: the container; kubectl: the pod's container (empty:
    // its default one).
    std::string container = {};
    std::string pod = {};             // kubectl
    std::string kube_namespace = {};  // kubectl (empty: kubectl's default)
    int pid = 0;                      // setns:pid=PID
    std::string netns = {};           // setns:net=NAME
    std::string path = {};            // chroot: the new root

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

// A target's hops as written, split at '/': a `kubectl:NAMESPACE` hop keeps
// the segment after it (its pod) unless that segment starts with a method's
// name (`kubectl:pod/sudo:root` is two hops, `kubectl:ns/pod` one).
std::vector<std::string> split_hops(std::string_view spec);

// One target written in the target syntax. Throws UsageError saying what is
// wrong and what the syntax is.
Target parse_target(std::string_view spec);

// The syntax, for error messages and --help.
extern const char* const kTargetSyntax;

}  // namespace tether::cli
