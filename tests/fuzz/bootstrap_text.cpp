// Fuzz target: what a target's shell prints during the bootstrap, read the
// way BootstrapSession reads it: bytes cut into bounded lines, each line
// searched for the session's marker and its announcement parsed, and every
// line and unterminated tail shown to sudo's password dialog. No input may
// crash, hang or grow memory beyond the line bound.
#include <string_view>

#include "fuzz_target.hpp"
#include "parent/marker_line.hpp"
#include "parent/password_dialog.hpp"
#include "tether/secret.hpp"

namespace {

constexpr std::size_t kMaxLine = 4096;
const std::string kMarker = "TETHER_7f3a9c";

tether::detail::PromptRules sudo_like() {
    tether::detail::PromptRules rules;
    rules.method = "sudo";
    rules.prompts = {"[tether-sudo] password:"};
    rules.failures = {"sorry, try again"};
    rules.refusals = {"is not in the sudoers file", "a password is required"};
    rules.sudo_rs_form = true;
    return rules;
}

}  // namespace

namespace tt::fuzz {

std::vector<std::string> seeds() {
    std::string m = kMarker + " ";
    return {
        "Welcome!\n" + m + "START\n" + m + "HAVE\n" + m + "RUN\n",
        "[tether-sudo] password:",
        "[tether-sudo] password: \nSorry, try again.\n[tether-sudo] password:",
        m + "SEND 123456\n" + m + "GOT\n",
        m + "SEND 0123abcd gzip\n" + m + "SEND 0123abcd raw extra\n",
        "banner without newline" + m + "FAIL exec: cannot run: not found\r\n",
        m + "FAIL nocolon\n" + m + "FAIL x:\n",
        "[sudo: [tether-sudo] password:] Password:",
        "alice is not in the sudoers file.  This incident will be reported.\n",
    };
}

}  // namespace tt::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tether::detail;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    PasswordDialog dialog(sudo_like(), tether::Secret("pw"));
    std::string pending;
    bool over = false;
    // Fed in pieces, as reads arrive.
    for (std::size_t at = 0; at < text.size() && !over; at += 61) {
        take_lines(pending, text.substr(at, 61), kMaxLine, [&](std::string line) {
            if (line.size() > kMaxLine + 61) {
                std::abort();  // the bound did not hold
            }
            if (auto m = parse_marker_line(line, kMarker)) {
                if (m->word == "FAIL") {
                    parse_script_failure(m->rest);
                    over = true;
                }
                return !over;
            }
            if (dialog.on_line(line).kind == PasswordDialog::Step::fail) {
                over = true;
            }
            return !over;
        });
        if (!over && !pending.empty()) {
            dialog.on_pending(pending);
        }
    }
    return 0;
}
