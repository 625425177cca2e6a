#include "support/netns_host.hpp"

#include <cstdlib>
#include <stdexcept>

namespace tt {
namespace {

void must(const std::string& command) {
    if (std::system(command.c_str()) != 0) {
        throw std::runtime_error("failed: " + command);
    }
}

}  // namespace

void NetnsHost::remove(const std::string& ns, const std::string& link) {
    std::system(
        ("ip netns del " + ns + " 2>/dev/null; ip link del " + link + " 2>/dev/null").c_str());
}

NetnsHost::Network::Network(const NetnsHostOptions& options) : ns(options.ns), link(options.link) {
    remove(ns, link);
    must("ip netns add " + ns);
    // From here on a failure unwinds through no destructor of ours: remove
    // what this constructor made before rethrowing.
    try {
        std::string there = link.substr(0, link.size() - 1) + "b";
        must("ip link add " + link + " type veth peer name " + there);
        must("ip link set " + there + " netns " + ns);
        must("ip addr add " + options.subnet + ".1/24 dev " + link);
        must("ip link set " + link + " up");
        std::string inside = "ip addr add " + options.subnet + ".2/24 dev " + there +
                             " && ip link set " + there + " up && ip link set lo up";
        if (options.default_route) {
            inside += " && ip route add default via " + options.subnet + ".1";
        }
        must("ip netns exec " + ns + " sh -c '" + inside + "'");
    } catch (...) {
        remove(ns, link);
        throw;
    }
}

NetnsHost::Network::~Network() {
    remove(ns, link);
}

NetnsHost::NetnsHost(NetnsHostOptions options)
    : network_(options),
      sshd_(SshdOptions{.address = options.subnet + ".2", .netns = options.ns}) {}

IpForwarding::IpForwarding() : before_(run("cat /proc/sys/net/ipv4/ip_forward").substr(0, 1)) {
    if (before_.empty()) {
        throw std::runtime_error("cannot read /proc/sys/net/ipv4/ip_forward");
    }
    must("echo 1 >/proc/sys/net/ipv4/ip_forward");
}

IpForwarding::~IpForwarding() {
    std::system(("echo " + before_ + " >/proc/sys/net/ipv4/ip_forward").c_str());
}

}  // namespace tt
