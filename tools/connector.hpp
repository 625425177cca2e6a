// Starts the contexts of targets. Hops that several targets share (the
// `ssh:web1` of `ssh:web1/sudo:root` and `ssh:web1/sudo:app`) are started once
// and shut down when the last target using them is done. Resource; thread
// safety: open/release from any thread; open blocks while a hop starts.
#pragma once

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tether/tether.hpp"
#include "tools/target.hpp"

namespace tether::cli {

// How hops are started, from the command line.
struct ConnectSettings {
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(30);
    HostKeyPolicy host_keys = HostKeyPolicy::enforce;
    std::string known_hosts_file = {};           // empty: ~/.ssh/known_hosts
    std::string identity_file = {};              // empty: the usual ~/.ssh keys
    std::optional<Secret> ssh_password = {};     // for every ssh hop
    std::optional<Secret> become_password = {};  // for every sudo and su hop
};

class Connector {
  public:
    Connector(Router& router, ConnectSettings settings);
    Connector(const Connector&) = delete;
    Connector& operator=(const Connector&) = delete;

    // One context per hop of `target`, first to last. Throws the ConnectError
    // of the first hop that could not start.
    std::vector<Context> open(const Target& target);
    // `target` (opened with open) is done with its hops.
    void release(const Target& target);

  private:
    struct Started {
        std::shared_future<Context> context = {};
        int users = 0;
    };
    Context start(const Hop& hop, const std::optional<Context>& via);

    Router& router_;
    ConnectSettings settings_;
    std::mutex mutex_;
    std::map<std::string, Started> started_;
};

}  // namespace tether::cli
