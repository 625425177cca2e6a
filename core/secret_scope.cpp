#include "core/secret_scope.hpp"

namespace tether::detail {
namespace {

thread_local SecretScope* t_scope = nullptr;

}  // namespace

SecretScope::SecretScope() : outer_(t_scope) {
    t_scope = this;
}

SecretScope::~SecretScope() {
    t_scope = outer_;
}

void note_secret_decoded(const std::string& value) {
    if (t_scope != nullptr && !value.empty()) {
        t_scope->secrets_.emplace_back(value);
    }
}

std::string redact(std::string text, const std::vector<Secret>& secrets) {
    for (const Secret& secret : secrets) {
        const std::string& value = secret.reveal();
        if (value.empty()) {
            continue;
        }
        for (auto at = text.find(value); at != std::string::npos; at = text.find(value, at + 3)) {
            text.replace(at, value.size(), "***");
        }
    }
    return text;
}

bool has_decoded_secrets() noexcept {
    for (SecretScope* scope = t_scope; scope != nullptr; scope = scope->outer_) {
        if (!scope->secrets_.empty()) {
            return true;
        }
    }
    return false;
}

std::string redact_decoded(std::string text) {
    for (SecretScope* scope = t_scope; scope != nullptr; scope = scope->outer_) {
        if (!scope->secrets_.empty()) {
            text = redact(std::move(text), scope->secrets_);
        }
    }
    return text;
}

}  // namespace tether::detail
