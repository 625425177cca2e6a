// The `podman` method: this program inside a running Podman container,
// through `podman exec` and the shell bootstrap.
#include "parent/method_impl.hpp"
#include "transports/tool_exec.hpp"

namespace tether::detail {

template <>
struct Method<PodmanOptions> {
    static constexpr const char* kind = "podman";

    static std::string default_name(const PodmanOptions& options) {
        return std::string(kind) + "." + options.container;
    }

    static Context start_here(Router& router, PodmanOptions& options, const std::string& name) {
        check_tool_word(kind, "container", options.container, name);
        std::vector<std::string> tool{options.podman_path, "exec", "--interactive"};
        if (!options.username.empty()) {
            check_command_word(kind, "username", options.username, name);
            tool.push_back("--user=" + options.username);
        }
        tool.insert(tool.end(), {"--", options.container});
        return start_through_tool(router, kind, options, name, std::move(tool));
    }
};

}  // namespace tether::detail

TETHER_METHOD(tether::PodmanOptions);

namespace tether {

Context Router::podman(PodmanOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
