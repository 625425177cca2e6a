#include "core/frame_reader.hpp"

namespace tether::detail {

FrameReader::FrameReader(std::size_t max_message_size)
    : max_message_size_(max_message_size), in_(new unsigned char[kBufferSize]) {}

unsigned char* FrameReader::space() {
    return big_ ? reinterpret_cast<unsigned char*>(big_->payload.data()) + big_filled_
                : in_.get() + in_len_;
}

std::size_t FrameReader::space_size() const {
    return big_ ? big_->payload.size() - big_filled_ : kBufferSize - in_len_;
}

void FrameReader::reset() {
    big_.reset();
    big_filled_ = 0;
    in_len_ = 0;
}

}  // namespace tether::detail
