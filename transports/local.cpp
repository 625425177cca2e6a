// The `local` method: this program started again as a child on this machine,
// with no shell in between, over a socketpair.
#include <unistd.h>

#include "core/child_env.hpp"
#include "parent/command.hpp"
#include "parent/via.hpp"
#include "tether/export.hpp"
#include "tether/router.hpp"

namespace tether::detail {

struct LocalRequest {
    CommonRequest common;
    std::vector<std::string> program;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(common, program);
    }
};

namespace {

SpawnedChild spawn_local(const LocalOptions& options, const BootConfig& boot) {
    Command command;
    command.argv = options.program;
    if (command.argv.empty()) {
        command.path = "/proc/self/exe";
        command.argv.push_back(boot.remote_name);
    }
    std::map<std::string, std::string> env;
    for (const auto& [key, value] : child_env_for(::getpid())) {
        env[key] = value;
    }
    for (const auto& [key, value] : options.env) {
        env[key] = value;
    }
    command.env = environment_with(env);
    return spawn_command(command, "local");
}

}  // namespace

// Runs inside `via`: starts the local context there. Returns its handle,
// which decodes in the caller as a Context routed through `via`.
Context start_local_via(CallContext& cc, LocalRequest request) {
    LocalOptions options;
    apply_common(request.common, options);
    options.program = std::move(request.program);
    return cc.router().local(std::move(options));
}

}  // namespace tether::detail

TETHER_EXPORT(tether::detail::start_local_via);

namespace tether {

Context Router::local(LocalOptions options) {
    if (options.via) {
        return detail::start_via(
            options, detail::start_local_via,
            detail::LocalRequest{detail::common_request(options), options.program}, "local");
    }
    detail::ChildSpec spec{"local", options.name, options.remote_name, options.connect_timeout,
                           options.debug};
    return detail::start_child(core(), spec, [&options](const detail::BootConfig& boot) {
        return detail::spawn_local(options, boot);
    });
}

}  // namespace tether
