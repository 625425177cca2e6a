#include "parent/password_dialog.hpp"

#include <algorithm>
#include <cctype>

#include "core/no_sigpipe.hpp"

namespace tether::detail {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim_right(std::string_view text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

PasswordDialog::PasswordDialog(PromptRules rules, std::optional<Secret> password)
    : rules_(std::move(rules)), password_(std::move(password)) {}

bool PasswordDialog::is_prompt(std::string_view pending) const {
    std::string text = lower(trim_right(pending));
    for (const auto& prompt : rules_.prompts) {
        std::string wanted = lower(trim_right(prompt));
        if (ends_with(text, wanted)) {
            return true;
        }
        if (rules_.sudo_rs_form) {
            // "[sudo: <prompt>] Password:": a short tail, no echoed '*'.
            std::string tag = "[sudo: " + wanted + "]";
            auto at = text.rfind(tag);
            if (at != std::string::npos) {
                std::string_view tail = std::string_view(text).substr(at + tag.size());
                // A translation need not end in ':' (Mitogen #1518), so any
                // short tail without an echoed '*' will do.
                if (!tail.empty() && tail.size() <= 50 &&
                    tail.find('*') == std::string_view::npos) {
                    return true;
                }
            }
        }
    }
    return false;
}

PasswordDialog::Step PasswordDialog::on_pending(std::string_view pending) {
    if (finished_ || !is_prompt(pending)) {
        return {};
    }
    if (!password_) {
        return {Step::fail, rules_.method + ": a password is required"};
    }
    if (answered_) {
        // Asked again: the one password we had was wrong. Never a second try
        // (no lockout loop).
        return {Step::fail, rules_.method + ": incorrect password"};
    }
    answered_ = true;
    return {Step::answer, {}};
}

PasswordDialog::Step PasswordDialog::on_line(std::string_view line) {
    if (finished_) {
        return {};
    }
    std::string text = lower(line);
    for (const auto& failure : rules_.failures) {
        if (text.find(lower(failure)) != std::string::npos) {
            if (answered_) {
                return {Step::fail, rules_.method + ": incorrect password (" +
                                        std::string(trim_right(line)) + ")"};
            }
            return {Step::fail, std::string(trim_right(line))};
        }
    }
    for (const auto& needed : rules_.password_required) {
        if (text.find(lower(needed)) != std::string::npos) {
            return {Step::fail, rules_.method + ": a password is required"};
        }
    }
    for (const auto& refusal : rules_.refusals) {
        if (text.find(lower(refusal)) != std::string::npos) {
            return {Step::fail, std::string(trim_right(line))};
        }
    }
    return {};
}

void PasswordDialog::write_answer(int fd) const {
    std::string text = answer();
    [[maybe_unused]] ssize_t n = write_without_sigpipe(fd, text.data(), text.size());
    std::fill(text.begin(), text.end(), '\0');
}

std::string PasswordDialog::answer() const {
    return password_ ? password_->reveal() + "\n" : std::string("\n");
}

}  // namespace tether::detail
