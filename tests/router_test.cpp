#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "core/message.hpp"
#include "core/protocol.hpp"
#include "core/router_core.hpp"
#include "support/functions.hpp"
#include "support/harness.hpp"

using namespace std::chrono_literals;

TEST(Router, OversizeCallIsRefusedAndTheContextStaysUsable) {
    tt::Master master(tether::RouterOptions{.max_message_size = 64 * 1024});
    tether::Context child = master.router.local();
    std::string reason = tt::channel_reason(
        [&] { child.call(tt::echo_blob, tether::Blob(std::string(128 * 1024, 'x'))); });
    EXPECT_EQ(reason, "message too large (max 65536 bytes)");
    EXPECT_EQ(child.call(tt::add, 1, 2), 3);
    EXPECT_EQ(child.call(tt::echo_blob, tether::Blob(std::string(1000, 'y'))).size(), 1000u);
}

TEST(Router, OversizeReplyIsRefusedInTheChild) {
    tt::Master master(tether::RouterOptions{.max_message_size = 64 * 1024});
    tether::Context child = master.router.local();
    EXPECT_EQ(child.call(tt::max_message_size), 64u * 1024u);
    std::string reason = tt::channel_reason([&] { child.call(tt::reply_too_large, 100 * 1024); });
    EXPECT_EQ(reason, "message too large (max 65536 bytes)");
    EXPECT_EQ(child.call(tt::add, 1, 2), 3);
}

TEST(Router, MaxMessageSizeIsInheritedByGrandchildren) {
    tt::Master master(tether::RouterOptions{.max_message_size = 70000});
    tether::Context child = master.router.local();
    tether::Context grandchild = master.router.local({.via = child});
    EXPECT_EQ(grandchild.call(tt::max_message_size), 70000u);
}

TEST(Router, UnknownContextGivesNoRoute) {
    tt::Master master;
    tether::Context ghost(master.router.core().ref(1234, "ghost"));
    EXPECT_EQ(tt::channel_reason([&] { ghost.call(tt::add, 1, 2); }),
              "no route to 1234, my ID is 0");
}

TEST(Router, UnknownHandleGivesInvalidHandle) {
    tt::Master master;
    tether::Context child = master.router.local();
    auto slot = master.router.core().request(child.ref(), 777, "");
    tether::Receiver<int> rx(slot);
    EXPECT_EQ(tt::channel_reason([&] { rx.get(10s); }), "invalid handle");
    EXPECT_EQ(child.call(tt::add, 1, 2), 3);
}

TEST(Router, TheMasterRunsNoCalls) {
    tt::Master master;
    EXPECT_EQ(tt::channel_reason([&] { master.router.myself().call(tt::add, 1, 2); }),
              "refused by policy");
}

namespace {
int not_exported(int x) {
    return x;
}
// What a call that failed in the context said, or "served".
template <class F>
std::string failure_of(F call) {
    try {
        call();
    } catch (const tether::CallError& e) {
        return e.what();
    }
    return "served";
}
}  // namespace

TEST(Router, TheMasterServesOnlyTheFunctionsItOpensToTheCallersItChooses) {
    tt::LogCapture log;
    tt::Master master;
    tether::Context a = master.router.local();
    tether::Context b = master.router.local();
    // Closed by default: the child's own call into the master is refused.
    EXPECT_TRUE(
        tt::contains(failure_of([&] { a.call(tt::add_in_parent, 1, 2); }), "refused by policy"));
    master.router.allow_calls(tt::add);
    EXPECT_EQ(a.call(tt::add_in_parent, 1, 2), 3);
    EXPECT_EQ(b.call(tt::add_in_parent, 2, 2), 4);
    EXPECT_TRUE(tt::contains(failure_of([&] { a.call(tt::greet_in_parent, std::string("x")); }),
                             "refused by policy"))
        << "one function opened, not the others";
    // greet: for a only.
    master.router.allow_calls(tt::greet,
                              [&](const tether::Context& caller) { return caller == a; });
    EXPECT_EQ(a.call(tt::greet_in_parent, std::string("x")), tt::greet("x"));
    EXPECT_TRUE(tt::contains(failure_of([&] { b.call(tt::greet_in_parent, std::string("x")); }),
                             "refused by policy"));
    // A child serves only its parent chain: its own child calling it is
    // refused there, whatever the master opened.
    tether::Context c = master.router.local({.via = a});
    EXPECT_TRUE(tt::contains(failure_of([&] { c.call(tt::add_in_parent, 5, 5); }),
                             a.name() + ": refused by policy"));
    EXPECT_GE(log.count("refused by policy: call from "), 4u) << log.text();
    EXPECT_THROW(master.router.allow_calls(not_exported), tether::Error);
    // A filter that throws refuses, and the master goes on.
    master.router.allow_calls(
        tt::add, [](const tether::Context&) -> bool { throw std::runtime_error("filter bug"); });
    EXPECT_TRUE(
        tt::contains(failure_of([&] { a.call(tt::add_in_parent, 1, 2); }), "refused by policy"));
    EXPECT_EQ(a.call(tt::add, 1, 2), 3);
}

TEST(Router, CallAfterShutdownWaitIsAChannelError) {
    tt::Master master;
    tether::Context child = master.router.local();
    child.shutdown(true);
    EXPECT_TRUE(
        tt::contains(tt::channel_reason([&] { child.call(tt::add, 1, 2); }), "no route to"));
}

TEST(Router, MalformedFrameFromAChildClosesOnlyThatStream) {
    tt::Master master;
    tether::Context bad = master.router.local();
    tether::Context good = master.router.local();
    tether::Receiver<int> busy_good = good.call_async(tt::sleep_ms, 200);
    // Garbage in place of a frame header (bad magic); its reply never comes.
    auto waiting = bad.call_async(tt::write_raw_to_parent, std::string(40, '\x55'));
    EXPECT_THROW(waiting.get(10s), tether::ChannelError);
    EXPECT_EQ(busy_good.get(10s), 200);  // accepted before, still delivered
    EXPECT_EQ(good.call(tt::add, 2, 3), 5);
    EXPECT_THROW(bad.call(tt::add, 2, 3), tether::ChannelError);
}

TEST(Router, ABadSourceFromAGrandchildIsDroppedAndItsParentKeepsWorking) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Context grandchild = master.router.local({.via = child});
    // Claims to come from context 999, which is not behind it. The child logs
    // the drop (its log goes to the master) and must not stall doing so.
    grandchild.call(tt::write_raw_to_parent, tt::raw_frame(child.id(), 999, 1000, ""));
    EXPECT_EQ(child.call(tt::add, 1, 2), 3);
    EXPECT_EQ(grandchild.call(tt::add, 3, 4), 7);
}

TEST(Router, AChildCannotActUnderItsAncestorsAuthority) {
    std::string path = tt::temp_path("auth-log");
    tether::log_to_file(path);
    {
        tt::Master master;
        tether::Context child = master.router.local();
        tether::Context grandchild = master.router.local({.via = child});
        // A SHUTDOWN for the child from the grandchild, claiming the master's
        // authority: dropped by the child, which keeps serving.
        tether::detail::Message m;
        m.header.dst = child.id();
        m.header.src = grandchild.id();
        m.header.auth = 0;
        m.header.handle = tether::detail::kShutdown;
        auto header = tether::detail::encode_header(m);
        grandchild.call(tt::write_raw_to_parent, std::string(header.begin(), header.end()));
        EXPECT_EQ(child.call(tt::add, 1, 2), 3);
        EXPECT_EQ(grandchild.call(tt::add, 3, 4), 7);
        child.shutdown(true);
    }
    tether::log_to_file("");
    std::ifstream in(path);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ::unlink(path.c_str());
    EXPECT_TRUE(tt::contains(all, "bad auth_id: got src ")) << all;
}

TEST(Router, AChildCannotClaimARouteToAnAncestor) {
    tt::Master master;
    tether::Context child = master.router.local();
    tether::Context grandchild = master.router.local({.via = child});
    // "Context 0 (the master) is behind me": accepted, it would take every
    // reply the child sends upward.
    grandchild.call(tt::write_raw_to_parent,
                    tt::raw_frame(child.id(), grandchild.id(), tether::detail::kAddRoute,
                                  tether::detail::encode(tether::detail::RouteAdded{0, "evil"})));
    EXPECT_EQ(child.call(tt::add, 1, 2), 3);
    EXPECT_EQ(grandchild.call(tt::add, 3, 4), 7);
}

TEST(Router, OversizeLengthFromAChildClosesOnlyThatStream) {
    tt::Master master(tether::RouterOptions{.max_message_size = 4096});
    tether::Context bad = master.router.local();
    tether::Context good = master.router.local();
    tether::detail::Message m;
    m.header.dst = 0;
    m.header.src = bad.id();
    m.header.auth = bad.id();
    m.header.handle = 1000;
    m.payload = std::string(10, 'x');
    auto header = tether::detail::encode_header(m);
    // Claim a length past max_message_size; send only the header.
    header[24] = 0xff;
    header[25] = 0xff;
    header[26] = 0x00;
    std::string raw(header.begin(), header.end());
    auto waiting = bad.call_async(tt::write_raw_to_parent, raw);
    EXPECT_THROW(waiting.get(10s), tether::ChannelError);
    EXPECT_EQ(good.call(tt::add, 2, 3), 5);
}
