// The `docker` method: this program inside a Docker container, through
// `docker exec` (a running container) or `docker run --rm` (a fresh one
// from an image), and the shell bootstrap.
#include "parent/method_impl.hpp"
#include "transports/tool_exec.hpp"

namespace tether::detail {

template <>
struct Method<DockerOptions> {
    static constexpr const char* kind = "docker";

    static std::string default_name(const DockerOptions& options) {
        return std::string(kind) + "." +
               (options.container.empty() ? options.image : options.container);
    }

    static Context start_here(Router& router, DockerOptions& options, const std::string& name) {
        if (options.container.empty() == options.image.empty()) {
            throw ConnectError(name, "docker: give exactly one of container and image");
        }
        std::vector<std::string> tool{options.docker_path};
        if (!options.container.empty()) {
            check_tool_word(kind, "container", options.container, name);
            tool.insert(tool.end(), {"exec", "--interactive"});
        } else {
            check_tool_word(kind, "image", options.image, name);
            tool.insert(tool.end(), {"run", "--interactive", "--rm"});
        }
        if (!options.username.empty()) {
            check_command_word(kind, "username", options.username, name);
            tool.push_back("--user=" + options.username);
        }
        tool.push_back(options.container.empty() ? options.image : options.container);
        return start_through_tool(router, kind, options, name, std::move(tool));
    }
};

}  // namespace tether::detail

TETHER_METHOD(tether::DockerOptions);

namespace tether {

Context Router::docker(DockerOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
