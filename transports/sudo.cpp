// The `sudo` method: this program as another user, through sudo and the
// shell bootstrap. sudo prompts on a pseudo-terminal (its stderr and
// controlling terminal) while stdin/stdout stay a socketpair for the data.
#include <memory>

#include "parent/bootstrap.hpp"
#include "parent/command.hpp"
#include "parent/method_impl.hpp"
#include "parent/password_dialog.hpp"
#include "parent/prompt_translations.hpp"

namespace tether::detail {

namespace {

// The flags sudo_args may carry; each is checked, none passed on unread.
struct SudoFlags {
    bool preserve_env = false;
    bool set_home = false;
    bool login = false;
    bool non_interactive = false;
    bool preserve_groups = false;
    std::string user, group, role, type;
};

SudoFlags parse_sudo_args(const std::vector<std::string>& args, const std::string& name) {
    SudoFlags flags;
    auto refuse = [&name](const std::string& why) { return ConnectError(name, "sudo: " + why); };
    struct Valued {
        char short_name;
        const char* long_name;
        std::string SudoFlags::*field;
    };
    static const Valued kValued[] = {{'u', "--user", &SudoFlags::user},
                                     {'g', "--group", &SudoFlags::group},
                                     {'r', "--role", &SudoFlags::role},
                                     {'t', "--type", &SudoFlags::type}};
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        auto take_value = [&](const Valued& v, std::string value, bool from_next) {
            if (from_next) {
                if (i + 1 >= args.size()) {
                    throw refuse("option '" + arg + "' needs a value in sudo_args");
                }
                value = args[++i];
            }
            flags.*(v.field) = value;
        };
        bool matched = false;
        for (const Valued& v : kValued) {
            std::string short_flag = std::string("-") + v.short_name;
            std::string long_eq = std::string(v.long_name) + "=";
            if (arg == short_flag || arg == v.long_name) {
                take_value(v, {}, true);
            } else if (arg.size() > 2 && arg.compare(0, 2, short_flag) == 0) {
                take_value(v, arg.substr(2), false);
            } else if (arg.compare(0, long_eq.size(), long_eq) == 0) {
                take_value(v, arg.substr(long_eq.size()), false);
            } else {
                continue;
            }
            matched = true;
            break;
        }
        if (matched) {
            continue;
        }
        if (arg == "-E" || arg == "--preserve-env") {
            flags.preserve_env = true;
        } else if (arg == "-H" || arg == "--set-home") {
            flags.set_home = true;
        } else if (arg == "-i" || arg == "--login") {
            flags.login = true;
        } else if (arg == "-n" || arg == "--non-interactive") {
            flags.non_interactive = true;
        } else if (arg == "-P" || arg == "--preserve-groups") {
            flags.preserve_groups = true;
        } else if (arg == "-S" || arg == "--stdin") {
            // The password always goes to sudo's terminal; stdin is data.
        } else if (!arg.empty() && arg[0] == '-') {
            throw refuse("unsupported argument '" + arg + "' in sudo_args");
        } else {
            throw refuse("unexpected argument '" + arg +
                         "' in sudo_args (a command is not "
                         "allowed: tether runs its own)");
        }
    }
    return flags;
}

std::vector<std::string> sudo_argv(const SudoOptions& options, const std::string& prompt,
                                   const std::string& name) {
    SudoFlags flags = parse_sudo_args(options.sudo_args, name);
    std::string user = options.username;
    if (!flags.user.empty() && flags.user != user) {
        if (user != "root") {
            throw ConnectError(name, "sudo: sudo_args ask for user '" + flags.user +
                                         "' but username is '" + user + "'");
        }
        user = flags.user;
    }
    check_command_word("sudo", "username", user, name);
    // -p always: the prompt is known, so it is recognised only as a prompt.
    std::vector<std::string> argv = {options.sudo_path, "-p", prompt, "-u", user};
    if (options.preserve_env || flags.preserve_env) {
        argv.push_back("-E");
    }
    if (options.set_home || flags.set_home) {
        argv.push_back("-H");
    }
    if (options.login || flags.login) {
        argv.push_back("-i");
    }
    // Without a password there is nothing to type: sudo runs without a
    // terminal (about half the cost of a start: no pseudo-terminal, no
    // monitor process) and says at once if it would have asked.
    if (flags.non_interactive || !options.password) {
        argv.push_back("-n");
    }
    if (flags.preserve_groups) {
        argv.push_back("-P");
    }
    for (const auto& [flag, value] :
         {std::pair{"-g", flags.group}, std::pair{"-r", flags.role}, std::pair{"-t", flags.type}}) {
        if (!value.empty()) {
            check_command_word("sudo", flag, value, name);
            argv.push_back(flag);
            argv.push_back(value);
        }
    }
    argv.push_back("--");
    return argv;
}

PromptRules sudo_rules(const std::string& prompt) {
    PromptRules rules;
    rules.method = "sudo";
    rules.prompts = {prompt};
    rules.sudo_rs_form = true;
    rules.refusals = {"is not in the sudoers file", "is not allowed to execute", "may not run sudo",
                      "a password is required",     "a terminal is required",    "unknown user",
                      "incorrect password attempt"};
    // sudo's own prompt is ours (-p), but its refusals come in the user's
    // language.
    const auto& refusals = translated_sudo_refusals();
    rules.refusals.insert(rules.refusals.end(), refusals.begin(), refusals.end());
    rules.password_required = translated_sudo_password_required();
    return rules;
}

}  // namespace

template <>
struct Method<SudoOptions> {
    static constexpr const char* kind = "sudo";

    static std::string default_name(const SudoOptions& options) {
        return "sudo." + options.username;
    }

    static Context start_here(Router& router, SudoOptions& options, const std::string& name) {
        BootstrapPlan plan = plan_bootstrap(options.connect_timeout, options.env);
        // Checked here, before anything runs: a bad flag is the caller's mistake.
        std::string prompt = "[" + plan.marker + "] sudo password:";
        Command command;
        command.argv = sudo_argv(options, prompt, name);
        for (auto& word : bootstrap_argv(plan)) {
            command.argv.push_back(std::move(word));
        }
        command.terminal = options.password ? Terminal::stderr_tty : Terminal::none;
        ChildSpec spec{kind, name, options.remote_name, options.connect_timeout, options.debug};
        return start_bootstrapped(
            router.core(), spec, std::move(command), std::move(plan),
            std::make_shared<PasswordDialog>(sudo_rules(prompt), options.password));
    }
};

}  // namespace tether::detail

TETHER_METHOD(tether::SudoOptions);

namespace tether {

Context Router::sudo(SudoOptions options) {
    return detail::start(*this, std::move(options));
}

}  // namespace tether
