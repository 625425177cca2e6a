// The `kubectl` method: this program inside a container of a Kubernetes
// pod, through `kubectl exec -i` and the shell bootstrap. -i without -t:
// a terminal would translate the binary stream.
#include "parent/method_impl.hpp"
#include "transports/tool_exec.hpp"

namespace tether::detail {

template <>
struct Method<KubectlOptions> {
    static constexpr const char* kind = "kubectl";

    static std::string default_name(const KubectlOptions& options) {
        return std::string(kind) + "." + options.pod;
    }

    static Context start_here(Router& router, KubectlOptions& options, const std::string& name) {
        check_tool_word(kind, "pod", options.pod, name);
        std::vector<std::string> tool{options.kubectl_path};
        if (!options.kube_context.empty()) {
            check_tool_word(kind, "context", options.kube_context, name);
            tool.insert(tool.end(), {"--context", options.kube_context});
        }
        if (!options.kube_namespace.empty()) {
            check_tool_word(kind, "namespace", options.kube_namespace, name);
            tool.insert(tool.end(), {"-n", options.kube_namespace});
        }
        tool.insert(tool.end(), options.kubectl_args.begin(), options.kubectl_args.end());
        tool.insert(tool.end(), {"exec", "-i", options.pod});
        if (!options.container.empty()) {
            check_tool_word(kind, "container", options.container, name);
            tool.insert(tool.end(), {"-c", options.container});
        }
        tool.push_back("--");
        return start_through_tool(router, kind, options, name, std::move(tool));
    }
};

}  // namespace tether::detail

TETHER_METHOD(tether::KubectlOptions);

namespace tether {

Context Router::kubectl(KubectlOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
