#include "core/message.hpp"

#include <boost/endian/conversion.hpp>
#include <cstring>

namespace tether::detail {
namespace {

void put16(unsigned char* at, std::uint16_t v) {
    boost::endian::store_little_u16(at, v);
}
void put32(unsigned char* at, std::uint32_t v) {
    boost::endian::store_little_u32(at, v);
}

}  // namespace

HeaderBytes encode_header(const Message& m) {
    const Header& h = m.header;
    HeaderBytes b{};
    put16(&b[0], kMagic);
    put16(&b[2], h.flags);
    put32(&b[4], h.dst);
    put32(&b[8], h.src);
    put32(&b[12], h.auth);
    put32(&b[16], h.handle);
    put32(&b[20], h.reply_to);
    put32(&b[24], static_cast<std::uint32_t>(m.payload.size()));
    return b;
}

FrameHeader decode_header(const unsigned char* b) {
    using boost::endian::load_little_u16;
    using boost::endian::load_little_u32;
    FrameHeader f;
    f.magic = load_little_u16(b);
    f.header.flags = load_little_u16(b + 2);
    f.header.dst = load_little_u32(b + 4);
    f.header.src = load_little_u32(b + 8);
    f.header.auth = load_little_u32(b + 12);
    f.header.handle = load_little_u32(b + 16);
    f.header.reply_to = load_little_u32(b + 20);
    f.length = load_little_u32(b + 24);
    return f;
}

std::optional<std::string> check_header(const FrameHeader& f, std::size_t max_message_size) {
    if (f.magic != kMagic) {
        return "malformed frame: bad magic " + std::to_string(f.magic) + " (want " +
               std::to_string(kMagic) + ")";
    }
    if ((f.header.flags & ~kFlagDead) != 0) {
        return "malformed frame: unknown flags " + std::to_string(f.header.flags);
    }
    if (f.length > max_message_size) {
        return "malformed frame: message too large (len = " + std::to_string(f.length) + ", max " +
               std::to_string(max_message_size) + " bytes)";
    }
    return std::nullopt;
}

std::string describe(const Header& h, std::size_t length) {
    std::string s = "dst=" + std::to_string(h.dst) + " src=" + std::to_string(h.src) +
                    " auth=" + std::to_string(h.auth) + " handle=" + std::to_string(h.handle) +
                    " reply_to=" + std::to_string(h.reply_to) + " len=" + std::to_string(length);
    if (h.dead()) {
        s += " dead";
    }
    return s;
}

std::string describe(const Message& m) {
    return describe(m.header, m.payload.size());
}

}  // namespace tether::detail
