#include <gtest/gtest.h>

#include "core/message.hpp"
#include "core/protocol.hpp"
#include "tether/detail/wire.hpp"

namespace td = tether::detail;

TEST(Message, HeaderRoundTripsLittleEndian) {
    td::Message m;
    m.header.dst = 0x01020304;
    m.header.src = 5;
    m.header.auth = 6;
    m.header.handle = 101;
    m.header.reply_to = 1000;
    m.header.flags = td::kFlagDead;
    m.payload = "abc";
    td::HeaderBytes bytes = td::encode_header(m);
    ASSERT_EQ(bytes.size(), 28u);
    EXPECT_EQ(bytes[0], 0x74);
    EXPECT_EQ(bytes[1], 0x74);
    EXPECT_EQ(bytes[4], 0x04);  // dst, least significant byte first
    EXPECT_EQ(bytes[7], 0x01);
    td::FrameHeader f = td::decode_header(bytes.data());
    EXPECT_EQ(f.header.dst, m.header.dst);
    EXPECT_EQ(f.header.src, 5u);
    EXPECT_EQ(f.header.auth, 6u);
    EXPECT_EQ(f.header.handle, 101u);
    EXPECT_EQ(f.header.reply_to, 1000u);
    EXPECT_EQ(f.length, 3u);
    EXPECT_EQ(f.header.flags, td::kFlagDead);
    EXPECT_FALSE(td::check_header(f, 1024).has_value());
}

TEST(Message, RejectsBadMagicUnknownFlagsAndOversize) {
    td::Message m;
    m.payload = std::string(100, 'x');
    td::HeaderBytes bytes = td::encode_header(m);
    td::FrameHeader h = td::decode_header(bytes.data());
    auto too_big = td::check_header(h, 99);
    ASSERT_TRUE(too_big.has_value());
    EXPECT_NE(too_big->find("message too large"), std::string::npos) << *too_big;
    h.magic = 0x4d49;
    auto bad_magic = td::check_header(h, 1000);
    ASSERT_TRUE(bad_magic.has_value());
    EXPECT_NE(bad_magic->find("bad magic"), std::string::npos);
    h = td::decode_header(bytes.data());
    h.header.flags = 0x80;
    EXPECT_TRUE(td::check_header(h, 1000).has_value());
}

TEST(Wire, RoundTripsProtocolPayloads) {
    td::BootConfig boot;
    boot.context_id = 7;
    boot.parent_ids = {3, 0};
    boot.name = "local.1.local.2";
    boot.max_message_size = 4096;
    auto decoded = td::decode<td::BootConfig>(td::encode(boot));
    EXPECT_EQ(decoded.context_id, 7u);
    EXPECT_EQ(decoded.parent_ids, (std::vector<std::uint32_t>{3, 0}));
    EXPECT_EQ(decoded.name, boot.name);
    EXPECT_EQ(decoded.max_message_size, 4096u);
}

TEST(Wire, RefusesImplausibleLengthsBeforeAllocating) {
    // A string claiming 2^40 bytes in a 9-byte payload.
    std::string payload;
    td::WireWriter w(payload);
    w(std::uint64_t{1} << 40);
    payload.push_back('x');
    td::WireReader r(payload);
    std::string s;
    EXPECT_THROW(r(s), td::WireError);
    EXPECT_TRUE(s.empty());
}

TEST(Wire, RefusesTruncatedAndTrailingBytes) {
    std::string payload = td::encode(td::RouteAdded{5, "name"});
    EXPECT_THROW(td::decode<td::RouteAdded>(payload.substr(0, payload.size() - 1)), td::WireError);
    EXPECT_THROW(td::decode<td::RouteAdded>(payload + "z"), td::WireError);
    EXPECT_EQ(td::decode<td::RouteAdded>(payload).name, "name");
}
