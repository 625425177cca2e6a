// The `doas` method: this program as another user, through OpenBSD's doas
// (Debian's opendoas) and the shell bootstrap. Like sudo: doas prompts on a
// pseudo-terminal (its stderr and controlling terminal; opendoas reads the
// password from /dev/tty) while stdin/stdout stay a socketpair for the data.
#include <memory>

#include "parent/bootstrap.hpp"
#include "parent/command.hpp"
#include "parent/method_impl.hpp"
#include "parent/password_dialog.hpp"
#include "parent/prompt_translations.hpp"

namespace tether::detail {

namespace {

PromptRules doas_rules() {
    PromptRules rules;
    rules.method = "doas";
    // opendoas: "doas (alice@host) password: "; OpenBSD and slicer69 doas:
    // "Password:"; PAM's own prompt where it is translated.
    rules.prompts = {"password:"};
    const auto& prompts = translated_password_prompts();
    rules.prompts.insert(rules.prompts.end(), prompts.begin(), prompts.end());
    // opendoas and slicer69/doas; OpenBSD's doas.
    rules.failures = {"doas: authentication failed", "doas: authorization failed"};
    // No rule for this user (EPERM), or no such target user.
    rules.refusals = {"doas: operation not permitted", "doas: not permitted",
                      "doas: no passwd entry",         "doas: unknown user",
                      "doas is not enabled",           "command not permitted"};
    // -n, and the rule wants a password.
    rules.password_required = {"doas: authentication required", "doas: authorization required"};
    return rules;
}

}  // namespace

template <>
struct Method<DoasOptions> {
    static constexpr const char* kind = "doas";

    static std::string default_name(const DoasOptions& options) {
        return "doas." + options.username;
    }

    static Context start_here(Router& router, DoasOptions& options, const std::string& name) {
        check_command_word("doas", "username", options.username, name);
        BootstrapPlan plan = plan_bootstrap(options.connect_timeout, options.env);
        Command command;
        command.argv = {options.doas_path};
        // Without a password there is nothing to type: no terminal, and -n
        // makes doas say at once if it would have asked.
        if (!options.password) {
            command.argv.push_back("-n");
        }
        for (const char* word : {"-u", options.username.c_str(), "--"}) {
            command.argv.push_back(word);
        }
        for (auto& word : bootstrap_argv(plan)) {
            command.argv.push_back(std::move(word));
        }
        command.terminal = options.password ? Terminal::stderr_tty : Terminal::none;
        ChildSpec spec{kind, name, options.remote_name, options.connect_timeout, options.debug};
        return start_bootstrapped(router.core(), spec, std::move(command), std::move(plan),
                                  std::make_shared<PasswordDialog>(doas_rules(), options.password));
    }
};

}  // namespace tether::detail

TETHER_METHOD(tether::DoasOptions);

namespace tether {

Context Router::doas(DoasOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
