#include "tools/connector.hpp"

namespace tether::cli {

Connector::Connector(Router& router, ConnectSettings settings, const std::vector<Target>& targets)
    : router_(router), settings_(std::move(settings)) {
    for (const Target& t : targets) {
        for (std::size_t n = 1; n <= t.hops.size(); ++n) {
            ++started_[t.prefix(n)].users;
        }
    }
}

ContextOptions Connector::options_for(const Hop& hop) const {
    switch (hop.method) {
        case Method::local:
            return LocalOptions{.connect_timeout = settings_.connect_timeout};
        case Method::sudo:
            return SudoOptions{.username = hop.user,
                               .password = settings_.become_password,
                               .connect_timeout = settings_.connect_timeout};
        case Method::su:
            return SuOptions{.username = hop.user,
                             .password = settings_.become_password,
                             .connect_timeout = settings_.connect_timeout};
        case Method::doas:
            return DoasOptions{.username = hop.user,
                               .password = settings_.become_password,
                               .connect_timeout = settings_.connect_timeout};
        case Method::chroot:
            return ChrootOptions{.path = hop.path, .connect_timeout = settings_.connect_timeout};
        case Method::ssh:
            return SshOptions{
                .hostname = hop.host,
                .port = hop.port.value_or(22),
                .username = hop.user,
                .identity_file =
                    hop.identity_file.empty() ? settings_.identity_file : hop.identity_file,
                .password = settings_.ssh_password,
                .check_host_keys = settings_.host_keys,
                .known_hosts_file = settings_.known_hosts_file,
                .config_file = settings_.ssh_config,
                .use_config = settings_.use_ssh_config,
                .name = hop.alias.empty() ? std::string() : "ssh." + hop.alias,
                .connect_timeout = settings_.connect_timeout,
            };
        case Method::fork:
            return ForkOptions{.connect_timeout = settings_.connect_timeout};
        case Method::docker:
            return DockerOptions{.container = hop.container,
                                 .connect_timeout = settings_.connect_timeout};
        case Method::podman:
            return PodmanOptions{.container = hop.container,
                                 .connect_timeout = settings_.connect_timeout};
        case Method::lxc:
            return LxcOptions{.container = hop.container,
                              .connect_timeout = settings_.connect_timeout};
        case Method::kubectl:
            return KubectlOptions{.pod = hop.pod,
                                  .container = hop.container,
                                  .kube_namespace = hop.kube_namespace,
                                  .connect_timeout = settings_.connect_timeout};
        case Method::setns:
            return SetnsOptions{
                .pid = hop.pid, .net = hop.netns, .connect_timeout = settings_.connect_timeout};
    }
    throw std::logic_error("unknown method");
}

Context Connector::start(const Hop& hop, const std::optional<Context>& via) {
    ContextOptions options = options_for(hop);
    std::visit([&via](auto& o) { o.via = via; }, options);
    return router_.start(options);
}

std::vector<Context> Connector::open(const Target& target, std::vector<Context>* reached) {
    std::vector<Context> contexts;
    std::optional<Context> via;
    for (std::size_t i = 0; i < target.hops.size(); ++i) {
        std::shared_future<Context> future;
        std::optional<std::promise<Context>> mine;
        {
            std::lock_guard lock(mutex_);
            Started& s = started_.at(target.prefix(i + 1));
            if (!s.context.valid()) {
                mine.emplace();
                s.context = mine->get_future().share();
            }
            future = s.context;
        }
        if (mine) {
            try {
                mine->set_value(start(target.hops[i], via));
            } catch (...) {
                mine->set_exception(std::current_exception());
            }
        }
        try {
            via = future.get();
        } catch (...) {
            if (reached) {
                *reached = contexts;
            }
            throw;
        }
        contexts.push_back(*via);
    }
    return contexts;
}

void Connector::release(const Target& target) noexcept {
    std::vector<Context> unused;
    {
        std::lock_guard lock(mutex_);
        for (std::size_t n = target.hops.size(); n > 0; --n) {
            auto it = started_.find(target.prefix(n));
            if (it == started_.end() || --it->second.users > 0) {
                continue;
            }
            // Every user is done, so a start that began has ended.
            if (it->second.context.valid()) {
                try {
                    unused.push_back(it->second.context.get());
                } catch (const std::exception&) {
                    // It never started: nothing to shut down.
                }
            }
            started_.erase(it);
        }
    }
    // Deepest first, so a context is gone before the one it was started from.
    // One that does not go in time is left to the router's own shutdown.
    for (const Context& c : unused) {
        try {
            c.shutdown(true);
        } catch (const std::exception&) {
        }
    }
}

}  // namespace tether::cli
