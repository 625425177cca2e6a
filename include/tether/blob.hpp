// Opaque bytes passed to or returned from a call. Logs show a Blob only by
// its size. Value type: copyable, movable; one object, one thread.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

namespace tether {

class Blob {
  public:
    Blob() = default;
    explicit Blob(std::string bytes) : bytes_(std::move(bytes)) {}
    Blob(const void* data, std::size_t size) : bytes_(static_cast<const char*>(data), size) {}

    const char* data() const noexcept { return bytes_.data(); }
    std::size_t size() const noexcept { return bytes_.size(); }
    bool empty() const noexcept { return bytes_.empty(); }
    std::string_view view() const noexcept { return bytes_; }
    const std::string& str() const& noexcept { return bytes_; }
    std::string&& str() && noexcept { return std::move(bytes_); }

    friend bool operator==(const Blob& a, const Blob& b) { return a.bytes_ == b.bytes_; }

    template <class Archive>
    void serialize(Archive& ar) {
        ar(bytes_);
    }

  private:
    std::string bytes_;
};

// Prints "Blob(<size> bytes)".
std::ostream& operator<<(std::ostream& out, const Blob& blob);

}  // namespace tether
