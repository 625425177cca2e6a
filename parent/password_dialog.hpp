// Answering a method's password prompt, once: sudo, su and ssh-by-command
// print a prompt on a terminal, read a password, and either go on or print
// the prompt (or a failure text) again. Pure logic, fed the text as it
// arrives; the caller writes the answer. Internal; one thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/secret.hpp"

namespace tether::detail {

struct PromptRules {
    std::string method;  // "sudo": starts every failure text
    // A prompt is recognised only at the very end of the text received so
    // far (case-insensitively, trailing spaces aside): a prompt-like word in
    // the middle of a banner is not one, nor is a prompt followed by an
    // echoed '*'.
    std::vector<std::string> prompts;
    // A whole line containing one of these (case-insensitively) fails the
    // connection at once with "<method>: incorrect password" if a password
    // was sent, else with the line itself.
    std::vector<std::string> failures;
    // A whole line containing one of these fails the connection with that
    // line ("alice is not in the sudoers file").
    std::vector<std::string> refusals;
    // sudo-rs shows "[sudo: <prompt>] Password:" instead of our prompt,
    // "Password:" translated (with or without a colon: "密码： ").
    bool sudo_rs_form = false;
    // A whole line containing one of these (the tool would have asked, but
    // was told not to) fails the connection with "<method>: a password is
    // required".
    std::vector<std::string> password_required = {};
};

class PasswordDialog {
  public:
    PasswordDialog(PromptRules rules, std::optional<Secret> password);

    struct Step {
        enum Kind { nothing, answer, fail } kind = nothing;
        std::string failure;  // for `fail`: the reason, without the password
    };
    // `pending`: the unterminated last line received so far.
    Step on_pending(std::string_view pending);
    Step on_line(std::string_view line);
    // The text to write for `answer`: the password and a newline.
    std::string answer() const;
    // Writes answer() to the terminal `fd` (a few bytes into an empty
    // terminal buffer: at once) and wipes its copy. Never logged.
    void write_answer(int fd) const;
    const std::optional<Secret>& password() const noexcept { return password_; }
    // The dialog is over (the command now runs): nothing matches any more.
    void finish() noexcept { finished_ = true; }

  private:
    bool is_prompt(std::string_view pending) const;

    PromptRules rules_;
    std::optional<Secret> password_;
    bool answered_ = false;
    bool finished_ = false;
};

}  // namespace tether::detail
