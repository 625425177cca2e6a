#include "tether/errors.hpp"

#include <ostream>

#include "tether/blob.hpp"
#include "tether/secret.hpp"

namespace tether {
namespace {

std::string call_error_text(const std::string& type, const std::string& message,
                            const std::string& context, const std::string& backtrace) {
    std::string s = "in " + context + ": " + type + ": " + message;
    if (!backtrace.empty()) {
        s += "\nthrown at:\n" + backtrace;
    }
    return s;
}

std::string connect_error_text(const std::string& context, const std::string& reason,
                               const std::string& diagnostics) {
    std::string s = "cannot start " + context + ": " + reason;
    if (!diagnostics.empty()) {
        s += "\nlast output:\n" + diagnostics;
    }
    return s;
}

}  // namespace

CallError::CallError(std::string type_name, std::string message, std::string context_name,
                     std::string backtrace)
    : Error(call_error_text(type_name, message, context_name, backtrace)),
      type_name_(std::move(type_name)),
      message_(std::move(message)),
      context_name_(std::move(context_name)),
      backtrace_(std::move(backtrace)) {}

ChannelError::ChannelError(std::string context_name, std::string reason)
    : Error(context_name + ": " + reason),
      context_name_(std::move(context_name)),
      reason_(std::move(reason)) {}

TimeoutError::TimeoutError(const std::string& what) : Error(what) {}

ConnectError::ConnectError(std::string context_name, std::string reason, std::string diagnostics)
    : Error(connect_error_text(context_name, reason, diagnostics)),
      context_name_(std::move(context_name)),
      reason_(std::move(reason)),
      diagnostics_(std::move(diagnostics)) {}

SelectError::SelectError(const std::string& what) : Error(what) {}

Secret& Secret::operator=(const Secret& other) {
    if (this != &other) {
        wipe();
        value_ = other.value_;
    }
    return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        value_ = other.value_;
        other.wipe();
    }
    return *this;
}

void Secret::wipe() noexcept {
    // volatile: the compiler may not drop stores to memory about to be freed.
    volatile char* p = value_.data();
    for (std::size_t i = 0; i < value_.capacity(); ++i) {
        p[i] = 0;
    }
    value_.clear();
}

std::ostream& operator<<(std::ostream& out, const Secret&) {
    return out << "***";
}

std::ostream& operator<<(std::ostream& out, const Blob& blob) {
    return out << "Blob(" << blob.size() << " bytes)";
}

}  // namespace tether
