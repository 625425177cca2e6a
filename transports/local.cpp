// The `local` method: this program started again as a child on this machine,
// with no shell in between, over a socketpair.
#include <unistd.h>

#include "core/child_env.hpp"
#include "parent/command.hpp"
#include "parent/method_impl.hpp"

namespace tether::detail {

template <>
struct Method<LocalOptions> {
    static constexpr const char* kind = "local";

    // Empty: named local.<pid> once the child runs.
    static std::string default_name(const LocalOptions&) { return {}; }

    static Context start_here(Router& router, LocalOptions& options, const std::string& name) {
        ChildSpec spec{kind, name, options.remote_name, options.connect_timeout, options.debug};
        return start_child(router.core(), spec,
                           [&options](const BootConfig& boot) { return spawn(options, boot); });
    }

    static SpawnedChild spawn(const LocalOptions& options, const BootConfig& boot) {
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
        return spawn_command(command, kind);
    }
};

}  // namespace tether::detail

TETHER_METHOD(tether::LocalOptions);

namespace tether {

Context Router::local(LocalOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
