// The `chroot` method: this program inside another root directory, through
// chroot(8) and the shell bootstrap run by the root's own /bin/sh. The program
// is shipped into the root and cached there (under the root's HOME, or
// /tmp/tether-<uid>), so the root needs a shell and what the program links
// against, nothing of tether's. No terminal: chroot asks nothing.
#include <memory>

#include "parent/bootstrap.hpp"
#include "parent/command.hpp"
#include "parent/method_impl.hpp"
#include "parent/password_dialog.hpp"

namespace tether::detail {

namespace {

PromptRules chroot_rules() {
    PromptRules rules;
    rules.method = "chroot";
    // GNU chroot's own words for a missing root, a root without /bin/sh, an
    // unknown --userspec user, or a caller without CAP_SYS_CHROOT: each fails
    // the start with that line.
    rules.refusals = {"chroot: cannot change root directory",
                      "chroot: failed to run command",
                      "chroot: invalid user",
                      "chroot: invalid group",
                      "chroot: cannot chdir",
                      "chroot: can't change root directory",
                      "chroot: can't execute"};
    return rules;
}

}  // namespace

template <>
struct Method<ChrootOptions> {
    static constexpr const char* kind = "chroot";

    static std::string default_name(const ChrootOptions& options) {
        return "chroot." + options.path;
    }

    static Context start_here(Router& router, ChrootOptions& options, const std::string& name) {
        if (options.path.empty() || options.path.front() == '-') {
            throw ConnectError(name, "chroot: invalid path '" + options.path + "'");
        }
        BootstrapPlan plan = plan_bootstrap(options.connect_timeout, options.env);
        Command command;
        command.argv = {options.chroot_path};
        if (!options.username.empty()) {
            check_command_word("chroot", "username", options.username, name);
            command.argv.push_back("--userspec=" + options.username);
        }
        command.argv.push_back(options.path);
        // bootstrap_argv starts with /bin/sh: the root's own shell runs it.
        for (auto& word : bootstrap_argv(plan)) {
            command.argv.push_back(std::move(word));
        }
        ChildSpec spec{kind, name, options.remote_name, options.connect_timeout, options.debug};
        return start_bootstrapped(router.core(), spec, std::move(command), std::move(plan),
                                  std::make_shared<PasswordDialog>(chroot_rules(), std::nullopt));
    }
};

}  // namespace tether::detail

TETHER_METHOD(tether::ChrootOptions);

namespace tether {

Context Router::chroot(ChrootOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
