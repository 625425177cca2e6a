// Turns the bytes of a stream into messages: a fixed header, checked against
// max_message_size before anything is allocated, then its payload. The part
// of a Stream that reads untrusted bytes, kept apart so that a fuzzer
// (tests/fuzz/frame_reader.cpp) drives exactly what a stream runs.
// Resource: one owner (a Stream), one thread (its broker's).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "core/message.hpp"

namespace tether::detail {

class FrameReader {
  public:
    static constexpr std::size_t kBufferSize = 256 * 1024;

    explicit FrameReader(std::size_t max_message_size);

    // Where the next read puts its bytes, and how many fit (never 0).
    unsigned char* space();
    std::size_t space_size() const;

    // `n` bytes were read into space(). Hands each message they complete to
    // deliver(Message&&), which returns false to stop (its stream closed).
    // Returns why the stream must close when the bytes are not a valid
    // frame; nothing after the bad header is delivered.
    template <class Deliver>
    std::optional<std::string> received(std::size_t n, Deliver&& deliver);

    // Forgets a partly read message (the stream is closing).
    void reset();

  private:
    std::size_t max_message_size_;
    // kBufferSize bytes, not zero-filled: a page is touched only once a read
    // reaches it (a zero-filled buffer cost every start 64 page faults on
    // each side).
    std::unique_ptr<unsigned char[]> in_;
    std::size_t in_len_ = 0;
    std::optional<Message> big_;  // a large payload read straight into place
    std::size_t big_filled_ = 0;
};

template <class Deliver>
std::optional<std::string> FrameReader::received(std::size_t n, Deliver&& deliver) {
    if (big_) {
        big_filled_ += n;
        if (big_filled_ == big_->payload.size()) {
            Message m = std::move(*big_);
            big_.reset();
            deliver(std::move(m));
        }
        return std::nullopt;
    }
    in_len_ += n;
    std::size_t pos = 0;
    while (in_len_ - pos >= kHeaderSize) {
        FrameHeader h = decode_header(&in_[pos]);
        if (auto why = check_header(h, max_message_size_)) {
            in_len_ = 0;
            return why;
        }
        Message m{h.header, {}};
        std::size_t have = in_len_ - pos - kHeaderSize;
        if (have >= h.length) {
            m.payload.assign(reinterpret_cast<const char*>(&in_[pos + kHeaderSize]), h.length);
            pos += kHeaderSize + h.length;
            if (!deliver(std::move(m))) {
                in_len_ = 0;
                return std::nullopt;
            }
        } else if (kHeaderSize + h.length > kBufferSize) {
            // Larger than the buffer: read the rest straight into the payload
            // (its length was checked against max_message_size above).
            m.payload.resize(h.length);
            std::memcpy(m.payload.data(), &in_[pos + kHeaderSize], have);
            big_ = std::move(m);
            big_filled_ = have;
            pos = in_len_;
            break;
        } else {
            break;
        }
    }
    if (pos > 0) {
        std::memmove(in_.get(), in_.get() + pos, in_len_ - pos);
        in_len_ -= pos;
    }
    return std::nullopt;
}

}  // namespace tether::detail
