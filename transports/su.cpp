// The `su` method: this program as another user, through su and the shell
// bootstrap. su reads the password from its stdin as a terminal, so the
// command runs under a pseudo-terminal in raw mode that carries everything:
// the prompt, the bootstrap, then the messages.
#include <memory>

#include "parent/bootstrap.hpp"
#include "parent/command.hpp"
#include "parent/password_dialog.hpp"
#include "parent/via.hpp"
#include "tether/export.hpp"
#include "tether/router.hpp"

namespace tether::detail {

struct SuRequest {
    CommonRequest common;
    std::string username;
    std::optional<Secret> password;
    std::string su_path;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(common, username, password, su_path);
    }
};

namespace {

PromptRules su_rules() {
    PromptRules rules;
    rules.method = "su";
    rules.prompts = {"password:"};
    // util-linux, shadow and busybox su; PAM's own wording.
    rules.failures = {"authentication failure", "su: sorry", "incorrect password",
                      "authentication is denied"};
    rules.refusals = {"does not exist", "must be run from a terminal", "unknown id",
                      "cannot open session"};
    return rules;
}

}  // namespace

Context start_su_via(CallContext& cc, SuRequest request) {
    SuOptions options;
    apply_common(request.common, options);
    options.username = std::move(request.username);
    options.password = std::move(request.password);
    options.su_path = std::move(request.su_path);
    return cc.router().su(std::move(options));
}

}  // namespace tether::detail

TETHER_EXPORT(tether::detail::start_su_via);

namespace tether {

Context Router::su(SuOptions options) {
    if (options.via) {
        detail::SuRequest request{detail::common_request(options), options.username,
                                  options.password, options.su_path};
        return detail::start_via(options, detail::start_su_via, std::move(request), "su");
    }
    std::string name = options.name.empty() ? "su." + options.username : options.name;
    detail::check_command_word("su", "username", options.username, name);
    detail::BootstrapPlan plan = detail::plan_bootstrap(options.connect_timeout, options.env);
    detail::Command command;
    // su hands the command line to the user's shell: one quoted string.
    command.argv = {options.su_path, "-c", detail::shell_join(detail::bootstrap_argv(plan)), "--",
                    options.username};
    command.terminal = detail::Terminal::full;
    detail::ChildSpec spec{"su", name, options.remote_name, options.connect_timeout, options.debug};
    return detail::start_bootstrapped(
        core(), spec, std::move(command), std::move(plan),
        std::make_shared<detail::PasswordDialog>(detail::su_rules(), options.password));
}

}  // namespace tether
