// A password or other secret. It prints as "***", is never written to a log
// line, and its bytes are wiped when it is destroyed or moved from. It still
// travels to other contexts as a call argument (that is how a password reaches
// a child that needs it). Value type: copyable; one object, one thread.
#pragma once

#include <iosfwd>
#include <string>
#include <utility>

namespace tether {

namespace detail {
// Remembers a decoded secret's value so that tether keeps it out of the
// call's error text and log lines (see core/secret_scope.hpp).
void note_secret_decoded(const std::string& value);
}  // namespace detail

class Secret {
  public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret& other) : value_(other.value_) {}
    Secret(Secret&& other) noexcept : value_(other.value_) { other.wipe(); }
    Secret& operator=(const Secret& other);
    Secret& operator=(Secret&& other) noexcept;
    ~Secret() { wipe(); }

    // The secret itself. Never log it, never put it on a command line.
    const std::string& reveal() const noexcept { return value_; }
    bool empty() const noexcept { return value_.empty(); }

    friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }

    template <class Archive>
    void save(Archive& ar) const {
        ar(value_);
    }
    template <class Archive>
    void load(Archive& ar) {
        ar(value_);
        detail::note_secret_decoded(value_);
    }

  private:
    void wipe() noexcept;

    std::string value_;
};

// Prints "***", whatever the value.
std::ostream& operator<<(std::ostream& out, const Secret& secret);

}  // namespace tether
