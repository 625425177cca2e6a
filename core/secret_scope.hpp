// Keeping secrets out of texts: a Secret's value replaced by "***" wherever
// tether builds a text that could have picked it up. Internal.
#pragma once

#include <string>
#include <vector>

#include "tether/secret.hpp"

namespace tether::detail {

// Every Secret decoded on this thread while the scope is open (a call's
// arguments, however deeply nested) is redacted from the error text of that
// call and from every log line made on this thread until it closes. Scopes
// nest; the innermost collects.
class SecretScope {
  public:
    SecretScope();
    ~SecretScope();
    SecretScope(const SecretScope&) = delete;
    SecretScope& operator=(const SecretScope&) = delete;

  private:
    friend void note_secret_decoded(const std::string& value);
    friend std::string redact_decoded(std::string text);
    friend bool has_decoded_secrets() noexcept;
    SecretScope* outer_;
    std::vector<Secret> secrets_;
};

// `text` with every non-empty value of `secrets` replaced by "***".
std::string redact(std::string text, const std::vector<Secret>& secrets);

// `text` with the secrets of this thread's open scopes replaced.
std::string redact_decoded(std::string text);
// Whether redact_decoded would have anything to replace (cheap).
bool has_decoded_secrets() noexcept;

}  // namespace tether::detail
