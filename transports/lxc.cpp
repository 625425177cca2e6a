// The `lxc` method: this program inside an LXD (or Incus) instance,
// through LXD's client `lxc exec` and the shell bootstrap. It is Mitogen's
// `lxd`: LXD is how LXC containers are run today, and `lxc exec` works for
// its virtual machines too. --mode=non-interactive: with a terminal on any
// stdio, lxc would put a pseudo-terminal in between, which buffers and
// translates the binary stream.
#include "parent/method_impl.hpp"
#include "transports/tool_exec.hpp"

namespace tether::detail {

template <>
struct Method<LxcOptions> {
    static constexpr const char* kind = "lxc";

    static std::string default_name(const LxcOptions& options) {
        return std::string(kind) + "." + options.container;
    }

    static Context start_here(Router& router, LxcOptions& options, const std::string& name) {
        check_tool_word(kind, "container", options.container, name);
        return start_through_tool(
            router, kind, options, name,
            {options.lxc_path, "exec", "--mode=non-interactive", options.container, "--"});
    }
};

}  // namespace tether::detail

TETHER_METHOD(tether::LxcOptions);

namespace tether {

Context Router::lxc(LxcOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
