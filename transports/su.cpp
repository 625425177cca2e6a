// The `su` method: this program as another user, through su and the shell
// bootstrap. su reads the password from its stdin as a terminal, so the
// command runs under a pseudo-terminal in raw mode that carries everything:
// the prompt, the bootstrap, then the messages.
#include <memory>

#include "parent/bootstrap.hpp"
#include "parent/command.hpp"
#include "parent/method_impl.hpp"
#include "parent/password_dialog.hpp"
#include "parent/prompt_translations.hpp"

namespace tether::detail {

namespace {

PromptRules su_rules() {
    PromptRules rules;
    rules.method = "su";
    // su asks and fails in the user's language (LANG reaches it): PAM's
    // prompt and failure in every language Debian translates them to.
    rules.prompts = {"password:"};
    const auto& prompts = translated_password_prompts();
    rules.prompts.insert(rules.prompts.end(), prompts.begin(), prompts.end());
    // util-linux, shadow and busybox su; PAM's own wording.
    rules.failures = {"authentication failure", "su: sorry", "incorrect password",
                      "authentication is denied"};
    const auto& failures = translated_authentication_failures();
    rules.failures.insert(rules.failures.end(), failures.begin(), failures.end());
    rules.refusals = {"does not exist", "must be run from a terminal", "unknown id",
                      "cannot open session"};
    return rules;
}

}  // namespace

template <>
struct Method<SuOptions> {
    static constexpr const char* kind = "su";

    static std::string default_name(const SuOptions& options) { return "su." + options.username; }

    static Context start_here(Router& router, SuOptions& options, const std::string& name) {
        check_command_word("su", "username", options.username, name);
        BootstrapPlan plan = plan_bootstrap(options.connect_timeout, options.env);
        Command command;
        // su hands the command line to the user's shell: one quoted string.
        command.argv = {options.su_path, "-c", shell_join(bootstrap_argv(plan)), "--",
                        options.username};
        command.terminal = Terminal::full;
        ChildSpec spec{kind, name, options.remote_name, options.connect_timeout, options.debug};
        return start_bootstrapped(router.core(), spec, std::move(command), std::move(plan),
                                  std::make_shared<PasswordDialog>(su_rules(), options.password));
    }
};

}  // namespace tether::detail

TETHER_METHOD(tether::SuOptions);

namespace tether {

Context Router::su(SuOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
