// A "host" for multi-host tests: a network namespace joined to this one by a
// veth pair (<subnet>.1 here, <subnet>.2 there), with its own sshd on port 22.
// Resource: the constructor builds the namespace, the link and the sshd in
// that order, and whatever step fails, what the earlier steps made is torn
// down before the exception leaves (members are destroyed in reverse); the
// destructor stops the sshd first, then removes the namespace and the link.
#pragma once

#include <string>

#include "support/sshd.hpp"

namespace tt {

struct NetnsHostOptions {
    std::string ns;              // the namespace's name, e.g. "tt-ns1"
    std::string link;            // this side of the veth pair, e.g. "tt-v1a"
    std::string subnet;          // e.g. "10.231.1": .1 here, .2 there
    bool default_route = false;  // route everything there through here
};

class NetnsHost {
  public:
    // Throws std::runtime_error naming the command that failed.
    explicit NetnsHost(NetnsHostOptions options);
    NetnsHost(const NetnsHost&) = delete;
    NetnsHost& operator=(const NetnsHost&) = delete;

    const Sshd& sshd() const { return sshd_; }

    // Removes a namespace and a link left by an earlier run (best effort).
    static void remove(const std::string& ns, const std::string& link);

  private:
    // Owns the namespace and the link: removes both when destroyed.
    struct Network {
        explicit Network(const NetnsHostOptions& options);
        ~Network();
        Network(const Network&) = delete;
        Network& operator=(const Network&) = delete;
        std::string ns, link;
    };

    Network network_;  // built first, removed last
    Sshd sshd_;        // runs inside network_
};

// Sets net.ipv4.ip_forward to 1 and puts back the value it had when
// destroyed. Throws std::runtime_error when it cannot be set.
class IpForwarding {
  public:
    IpForwarding();
    ~IpForwarding();
    IpForwarding(const IpForwarding&) = delete;
    IpForwarding& operator=(const IpForwarding&) = delete;

  private:
    std::string before_;
};

}  // namespace tt
