// One message on the wire: a fixed 28-byte little-endian header and an opaque
// payload (docs/protocol.md has the field-by-field layout).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tether::detail {

inline constexpr std::uint16_t kMagic = 0x7474;  // "tt"
inline constexpr std::uint16_t kFlagDead = 0x0001;
inline constexpr std::size_t kHeaderSize = 28;

// Well-known handles; reply handles are allocated from kFirstDynamicHandle up.
enum Handle : std::uint32_t {
    kBoot = 1,     // parent -> new child: BootConfig
    kBootAck = 2,  // new child -> parent: its pid
    kCall = 101,   // call an exported function
    kForwardLog = 102,
    kAddRoute = 103,
    kDelRoute = 104,
    kAllocateId = 105,
    kShutdown = 106,
    kFirstDynamicHandle = 1000,
};

// A message's addressing: everything but its payload. What the router keeps
// to answer a message after the payload has been handed on.
struct Header {
    std::uint32_t dst = 0;
    std::uint32_t src = 0;
    std::uint32_t auth = 0;
    std::uint32_t handle = 0;
    std::uint32_t reply_to = 0;
    std::uint16_t flags = 0;

    bool dead() const noexcept { return (flags & kFlagDead) != 0; }
};

struct Message {
    Header header;
    std::string payload;

    bool dead() const noexcept { return header.dead(); }
};

using HeaderBytes = std::array<unsigned char, kHeaderSize>;

HeaderBytes encode_header(const Message& message);

// The 28 bytes as read from the wire, before the payload is fetched: the
// header and the two fields that frame it.
struct FrameHeader {
    std::uint16_t magic = 0;
    std::uint32_t length = 0;
    Header header;
};

FrameHeader decode_header(const unsigned char* bytes);

// Why a frame must not be accepted (nullopt when it is fine).
std::optional<std::string> check_header(const FrameHeader& frame, std::size_t max_message_size);

// A short description for logs: "dst=3 src=0 handle=101 reply_to=1004 len=12".
std::string describe(const Header& header, std::size_t length);
std::string describe(const Message& message);

}  // namespace tether::detail
