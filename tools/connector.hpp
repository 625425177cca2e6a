// Starts the contexts of targets. Hops that several targets share (the
// `ssh:web1` of `ssh:web1/sudo:root` and `ssh:web1/sudo:app`) are started once,
// kept up until every target that names them is done, and then shut down; a
// hop that failed is not tried again. Resource; thread safety: open and
// release from any thread; open blocks while a hop starts.
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
    std::string ssh_config = {};                 // empty: ~/.ssh/config
    bool use_ssh_config = true;
};

class Connector {
  public:
    // `targets`: every target of the run, each to be released once.
    Connector(Router& router, ConnectSettings settings, const std::vector<Target>& targets);
    Connector(const Connector&) = delete;
    Connector& operator=(const Connector&) = delete;

    // One context per hop of `target`, first to last. Throws the ConnectError
    // of the first hop that could not start; `reached` then holds the
    // contexts of the hops before it.
    std::vector<Context> open(const Target& target, std::vector<Context>* reached = nullptr);
    // `target` is done with its hops, whether it opened them, failed, or
    // never tried. Hops no other target needs any more are shut down.
    void release(const Target& target) noexcept;

  private:
    struct Started {
        std::shared_future<Context> context = {};  // invalid until first opened
        int users = 0;                             // targets not yet released
    };
    // What the command line says about `hop`, as the options of its method.
    ContextOptions options_for(const Hop& hop) const;
    Context start(const Hop& hop, const std::optional<Context>& via);

    Router& router_;
    ConnectSettings settings_;
    std::mutex mutex_;
    std::map<std::string, Started> started_;
};

// Releases a target's hops at the end of a scope: a worker takes one first
// thing, so every path out of its work releases exactly once.
class Release {
  public:
    Release(Connector& connector, const Target& target) : connector_(connector), target_(target) {}
    ~Release() { connector_.release(target_); }
    Release(const Release&) = delete;
    Release& operator=(const Release&) = delete;

  private:
    Connector& connector_;
    const Target& target_;
};

}  // namespace tether::cli
