// What su, doas and sudo print in other languages, for the password dialog
// (parent/password_dialog.hpp): Linux-PAM's "Password: " and "Authentication
// failure" (su asks and fails in the user's language), and sudo's refusals.
// Generated from Debian's message catalogs by
// scripts/gen-prompt-translations.py. Internal.
#pragma once

#include <string>
#include <vector>

namespace tether::detail {

// Each prompt without its trailing blanks: "Passwort:", "Mot de passe :".
const std::vector<std::string>& translated_password_prompts();
// "Fehler bei Authentifizierung", ...: a failed authentication.
const std::vector<std::string>& translated_authentication_failures();
// sudo's "is not in the sudoers file", "may not run sudo", "incorrect
// password attempt(s)", "a terminal is required": the literal piece of each.
const std::vector<std::string>& translated_sudo_refusals();
// sudo -n's "a password is required".
const std::vector<std::string>& translated_sudo_password_required();

}  // namespace tether::detail
