// Fuzz target: the frame reader, what a Stream runs on every byte it reads
// from another process. The input is cut into reads of varying sizes (its
// first byte picks them); every message delivered must be one that was
// wholly in the input, and a malformed header must stop delivery.
#include "core/frame_reader.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/message.hpp"
#include "fuzz_target.hpp"

namespace {

constexpr std::size_t kMaxMessage = 1 << 20;

std::string frame(std::uint32_t dst, std::uint32_t handle, const std::string& payload,
                  std::uint32_t length_override = 0) {
    tether::detail::Message m;
    m.header.dst = dst;
    m.header.src = 1;
    m.header.auth = 1;
    m.header.handle = handle;
    m.header.reply_to = 1000;
    m.payload = payload;
    auto header = tether::detail::encode_header(m);
    std::string bytes(reinterpret_cast<const char*>(header.data()), header.size());
    if (length_override != 0) {
        std::memcpy(bytes.data() + bytes.size() - 4, &length_override, 4);
    }
    bytes.append(payload);
    return bytes;
}

}  // namespace

namespace tt::fuzz {

std::vector<std::string> seeds() {
    return {
        seed('\x07', {frame(0, 101, "hello")}),
        seed('\x01', {frame(3, 102, ""), frame(4, 1001, std::string(300, 'x'))}),
        seed('\xff', {frame(2, 101, std::string(5000, 'y'))}),
        seed('\x10', {frame(2, 101, "short", 4000)}),   // truncated
        seed('\x03', {frame(2, 101, "", 0x7fffffff)}),  // over the maximum
    };
}

}  // namespace tt::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    std::size_t step = 1 + data[0] % 97;  // read sizes 1..97, then doubling
    const unsigned char* in = data + 1;
    std::size_t left = size - 1;
    tether::detail::FrameReader reader(kMaxMessage);
    std::size_t delivered_bytes = 0;
    bool stopped = false;
    while (left > 0 && !stopped) {
        std::size_t n = std::min({step, left, reader.space_size()});
        std::memcpy(reader.space(), in, n);
        in += n;
        left -= n;
        step = std::min<std::size_t>(step * 2, 1 << 16);
        auto bad = reader.received(n, [&](tether::detail::Message&& m) {
            if (m.payload.size() > kMaxMessage) {
                std::abort();  // the limit was not enforced
            }
            delivered_bytes += tether::detail::kHeaderSize + m.payload.size();
            return true;
        });
        if (bad) {
            stopped = true;  // the stream closes: nothing more is read
        }
    }
    // Nothing is delivered that was not wholly read.
    if (delivered_bytes > size - 1) {
        std::abort();
    }
    return 0;
}
