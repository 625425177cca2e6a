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
    HeaderBytes h{};
    put16(&h[0], kMagic);
    put16(&h[2], m.flags);
    put32(&h[4], m.dst);
    put32(&h[8], m.src);
    put32(&h[12], m.auth);
    put32(&h[16], m.handle);
    put32(&h[20], m.reply_to);
    put32(&h[24], static_cast<std::uint32_t>(m.payload.size()));
    return h;
}

Header decode_header(const unsigned char* b) {
    using boost::endian::load_little_u16;
    using boost::endian::load_little_u32;
    Header h;
    h.magic = load_little_u16(b);
    h.flags = load_little_u16(b + 2);
    h.dst = load_little_u32(b + 4);
    h.src = load_little_u32(b + 8);
    h.auth = load_little_u32(b + 12);
    h.handle = load_little_u32(b + 16);
    h.reply_to = load_little_u32(b + 20);
    h.length = load_little_u32(b + 24);
    return h;
}

std::optional<std::string> check_header(const Header& h, std::size_t max_message_size) {
    if (h.magic != kMagic) {
        return "malformed frame: bad magic " + std::to_string(h.magic) + " (want " +
               std::to_string(kMagic) + ")";
    }
    if ((h.flags & ~kFlagDead) != 0) {
        return "malformed frame: unknown flags " + std::to_string(h.flags);
    }
    if (h.length > max_message_size) {
        return "malformed frame: message too large (len = " + std::to_string(h.length) + ", max " +
               std::to_string(max_message_size) + " bytes)";
    }
    return std::nullopt;
}

std::string describe(const Message& m) {
    std::string s = "dst=" + std::to_string(m.dst) + " src=" + std::to_string(m.src) +
                    " auth=" + std::to_string(m.auth) + " handle=" + std::to_string(m.handle) +
                    " reply_to=" + std::to_string(m.reply_to) +
                    " len=" + std::to_string(m.payload.size());
    if (m.dead()) {
        s += " dead";
    }
    return s;
}

}  // namespace tether::detail
