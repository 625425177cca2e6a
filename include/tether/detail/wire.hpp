// The cereal archives every payload is written with: plain binary (both ends
// run the same program on the same architecture), written straight into a
// std::string and read from a byte range. The reader never trusts a length it
// reads: a container or string claiming more elements than there are bytes
// left is refused before anything is allocated, so a hostile payload of N
// bytes can make the reader allocate at most about N bytes.
#pragma once

#include <cereal/cereal.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace tether::detail {

// Writes to a string, or (default-constructed) only counts the bytes it
// would write: encode_exact() measures first so that a large payload is
// allocated once at its final size instead of through a chain of regrowths.
class WireWriter : public cereal::OutputArchive<WireWriter, cereal::AllowEmptyClassElision> {
  public:
    WireWriter() : cereal::OutputArchive<WireWriter, cereal::AllowEmptyClassElision>(this) {}
    explicit WireWriter(std::string& out)
        : cereal::OutputArchive<WireWriter, cereal::AllowEmptyClassElision>(this), out_(&out) {}

    void saveBinary(const void* data, std::size_t size) {
        if (out_ == nullptr) {
            counted_ += size;
        } else if (size != 0) {  // an empty vector's data() may be null
            out_->append(static_cast<const char*>(data), size);
        }
    }

    std::size_t counted() const noexcept { return counted_; }

  private:
    std::string* out_ = nullptr;
    std::size_t counted_ = 0;
};

// Thrown for any payload that does not decode into the declared types.
class WireError : public cereal::Exception {
  public:
    using cereal::Exception::Exception;
};

class WireReader : public cereal::InputArchive<WireReader, cereal::AllowEmptyClassElision> {
  public:
    explicit WireReader(std::string_view in)
        : cereal::InputArchive<WireReader, cereal::AllowEmptyClassElision>(this), in_(in) {}

    void loadBinary(void* data, std::size_t size) {
        if (size > in_.size() - pos_) {
            throw WireError("truncated payload: need " + std::to_string(size) + " bytes, " +
                            std::to_string(in_.size() - pos_) + " left");
        }
        if (size != 0) {  // an empty vector's data() may be null
            std::memcpy(data, in_.data() + pos_, size);
            pos_ += size;
        }
    }

    // A size read from the wire: every element takes at least one byte, so a
    // count larger than what is left cannot be genuine.
    template <class T>
    void check_size(T size) const {
        if (static_cast<unsigned long long>(size) > in_.size() - pos_) {
            throw WireError("implausible length " + std::to_string(size) + " with " +
                            std::to_string(in_.size() - pos_) + " bytes left");
        }
    }

    std::size_t remaining() const noexcept { return in_.size() - pos_; }

    // The next `size` bytes, in place.
    std::string_view take(std::size_t size) {
        if (size > in_.size() - pos_) {
            throw WireError("truncated payload: need " + std::to_string(size) + " bytes, " +
                            std::to_string(in_.size() - pos_) + " left");
        }
        std::string_view bytes = in_.substr(pos_, size);
        pos_ += size;
        return bytes;
    }

  private:
    std::string_view in_;
    std::size_t pos_ = 0;
};

template <class T>
inline std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar,
                                                                           const T& t) {
    ar.saveBinary(std::addressof(t), sizeof(t));
}

template <class T>
inline std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, T& t) {
    if constexpr (std::is_same_v<T, bool>) {
        // Any byte but 0 and 1 in a bool is undefined behaviour: refused
        // (found by fuzzing an optional's flag under UBSan).
        unsigned char byte = 0;
        ar.loadBinary(&byte, 1);
        if (byte > 1) {
            throw WireError("invalid bool " + std::to_string(byte));
        }
        t = byte != 0;
    } else {
        ar.loadBinary(std::addressof(t), sizeof(t));
    }
}

template <class T>
inline void CEREAL_SERIALIZE_FUNCTION_NAME(WireWriter& ar, cereal::NameValuePair<T>& t) {
    ar(t.value);
}

template <class T>
inline void CEREAL_SERIALIZE_FUNCTION_NAME(WireReader& ar, cereal::NameValuePair<T>& t) {
    ar(t.value);
}

template <class T>
inline void CEREAL_SERIALIZE_FUNCTION_NAME(WireWriter& ar, cereal::SizeTag<T>& t) {
    ar(t.size);
}

template <class T>
inline void CEREAL_SERIALIZE_FUNCTION_NAME(WireReader& ar, cereal::SizeTag<T>& t) {
    ar(t.size);
    ar.check_size(t.size);
}

template <class T>
inline void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const cereal::BinaryData<T>& bd) {
    ar.saveBinary(bd.data, static_cast<std::size_t>(bd.size));
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, cereal::BinaryData<T>& bd) {
    ar.loadBinary(bd.data, static_cast<std::size_t>(bd.size));
}

// Strings (and so Blobs) are copied straight out of the payload: cereal's own
// load resizes first, zero-filling what the copy then overwrites (a whole
// extra pass over a 16 MiB Blob).
template <class Traits, class Alloc>
inline void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, std::basic_string<char, Traits, Alloc>& str) {
    cereal::size_type size;
    ar(cereal::make_size_tag(size));
    std::string_view bytes = ar.take(static_cast<std::size_t>(size));
    str.assign(bytes.data(), bytes.size());
}

// Serializes `values` into `out` (appending), sized exactly beforehand.
template <class... T>
void encode_exact(std::string& out, const T&... values) {
    WireWriter sizer;
    sizer(values...);
    out.reserve(out.size() + sizer.counted());
    WireWriter writer(out);
    writer(values...);
}

}  // namespace tether::detail

CEREAL_SETUP_ARCHIVE_TRAITS(tether::detail::WireReader, tether::detail::WireWriter)
