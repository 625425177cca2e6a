// The route table's decisions, without processes: streams over socketpairs
// that are never started, in a master (id 0) and in a child (id 5 under 2
// under the master).
#include "core/route_table.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>

#include "tether/broker.hpp"

namespace td = tether::detail;

namespace {

class RouteTableTest : public ::testing::Test {
  protected:
    // A stream that nothing reads; its far end is closed with the test.
    std::shared_ptr<td::Stream> stream(const std::string& name) {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        far_ends_.push_back(fds[1]);
        return std::make_shared<td::Stream>(broker_.impl(), fds[0], name, 1024);
    }

    ~RouteTableTest() override {
        for (int fd : far_ends_) {
            ::close(fd);
        }
    }

    static td::Header from(std::uint32_t src, std::uint32_t auth, std::uint32_t dst) {
        td::Header h;
        h.src = src;
        h.auth = auth;
        h.dst = dst;
        return h;
    }

    tether::Broker broker_;
    std::vector<int> far_ends_;
    const td::Identity master_{};
    const td::Identity child_{5, {2, 0}, {"local.2", "master"}, "local.5"};
};

TEST_F(RouteTableTest, NamesItselfItsAncestorsAndWhatItStartsAndForgetsOnlyTheGone) {
    td::RouteTable table(child_, true);
    EXPECT_EQ(table.name_of(5), "local.5");
    EXPECT_EQ(table.name_of(2), "local.2");
    EXPECT_EQ(table.name_of(0), "master");
    EXPECT_EQ(table.name_of(9), "context 9");
    table.set_name(9, "sudo.bob");
    EXPECT_EQ(table.name_of(9), "sudo.bob");
    table.forget_name(9);
    EXPECT_EQ(table.name_of(9), "context 9");
    for (std::uint32_t kept : {0u, 2u, 5u}) {
        table.forget_name(kept);
    }
    EXPECT_EQ(table.name_of(5), "local.5");
    EXPECT_EQ(table.name_of(2), "local.2");
    EXPECT_EQ(table.name_of(0), "master");
    table.add_child(7, "local.7", stream("local.7"));
    table.forget_name(7);  // still routed
    EXPECT_EQ(table.name_of(7), "local.7");
}

TEST_F(RouteTableTest, RoutesToChildrenThenToTheParentAndNowhereInTheMaster) {
    td::RouteTable master(master_, true);
    auto a = stream("a");
    master.add_child(1, "a", a);
    EXPECT_EQ(a->remote_id, 1u);
    EXPECT_EQ(master.route_for(1), a);
    EXPECT_EQ(master.route_for(42), nullptr);
    EXPECT_TRUE(master.routed(1));
    EXPECT_FALSE(master.routed(42));

    td::RouteTable child(child_, true);
    auto up = stream("parent");
    child.set_parent(up);
    EXPECT_EQ(up->remote_id, 2u);
    EXPECT_TRUE(child.is_parent(*up));
    EXPECT_EQ(child.route_for(42), up);
    EXPECT_TRUE(child.is_ancestor(0));
    EXPECT_TRUE(child.is_ancestor(2));
    EXPECT_FALSE(child.is_ancestor(5));
}

TEST_F(RouteTableTest, AChildSpeaksOnlyForWhatIsBehindIt) {
    td::RouteTable table(master_, true);
    auto a = stream("a");
    auto b = stream("b");
    table.add_child(1, "a", a);
    table.add_child(2, "b", b);
    ASSERT_EQ(table.add_route(3, "a's child", *a), nullptr);
    using Sender = td::RouteTable::Sender;
    EXPECT_EQ(table.check_sender(from(1, 1, 0), *a), Sender::ok);
    EXPECT_EQ(table.check_sender(from(3, 1, 0), *a), Sender::ok);
    EXPECT_EQ(table.check_sender(from(2, 2, 0), *a), Sender::bad_src);
    EXPECT_EQ(table.check_sender(from(9, 9, 0), *a), Sender::bad_src);
    EXPECT_EQ(table.check_sender(from(1, 0, 0), *a), Sender::bad_auth);
    EXPECT_EQ(table.check_sender(from(1, 2, 0), *a), Sender::bad_auth);
    EXPECT_TRUE(table.may_speak_for(3, *a));
    EXPECT_FALSE(table.may_speak_for(2, *a));
    EXPECT_TRUE(table.may_speak_for(77, *a));  // still starting behind a
    EXPECT_FALSE(table.may_speak_for(0, *a));  // the master itself
    auto through_a = table.routed_through(*a);
    std::sort(through_a.begin(), through_a.end());
    EXPECT_EQ(through_a, (std::vector<std::uint32_t>{1, 3}));
}

TEST_F(RouteTableTest, RoutesAnnouncedByAChildAreCheckedBeforeTheyAreTaken) {
    td::RouteTable table(child_, true);
    table.set_parent(stream("parent"));
    auto a = stream("a");
    auto b = stream("b");
    table.add_child(7, "a", a);
    table.add_child(8, "b", b);
    EXPECT_NE(table.add_route(0, "x", *a), nullptr);  // the master
    EXPECT_NE(table.add_route(2, "x", *a), nullptr);  // an ancestor
    EXPECT_NE(table.add_route(5, "x", *a), nullptr);  // this context
    EXPECT_NE(table.add_route(8, "x", *a), nullptr);  // routed elsewhere
    EXPECT_EQ(table.route_for(8), b);
    EXPECT_EQ(table.add_route(9, "a's child", *a), nullptr);
    EXPECT_EQ(table.add_route(9, "again", *a), nullptr);  // the same stream may repeat it
    EXPECT_EQ(table.route_for(9), a);
    EXPECT_EQ(table.name_of(9), "again");
}

TEST_F(RouteTableTest, ForwardingFollowsTheUnidirectionalPolicyAndNotesWhoSentWhere) {
    for (bool unidirectional : {true, false}) {
        SCOPED_TRACE(unidirectional);
        td::RouteTable table(child_, unidirectional);
        auto up = stream("parent");
        table.set_parent(up);
        auto a = stream("a");
        auto b = stream("b");
        table.add_child(7, "a", a);
        table.add_child(8, "b", b);

        // Down from the parent: to a child, never back up.
        auto down = table.forward(from(0, 0, 8), *up);
        EXPECT_EQ(down.out, b);
        auto back = table.forward(from(0, 0, 42), *up);
        EXPECT_EQ(back.out, nullptr);
        EXPECT_FALSE(back.by_policy);
        EXPECT_NE(back.refused.find("no route to 42, my ID is 5"), std::string::npos)
            << back.refused;

        // Up from a child: always allowed, and remembered.
        auto toward_master = table.forward(from(7, 7, 0), *a);
        EXPECT_EQ(toward_master.out, up);
        EXPECT_EQ(a->egress.count(0), 1u);

        // Sideways: only when the policy allows.
        auto sideways = table.forward(from(7, 7, 8), *a);
        if (unidirectional) {
            EXPECT_EQ(sideways.out, nullptr);
            EXPECT_TRUE(sideways.by_policy);
            EXPECT_NE(sideways.refused.find("routing mode prevents forward"), std::string::npos);
            EXPECT_EQ(a->egress.count(8), 0u);
        } else {
            EXPECT_EQ(sideways.out, b);
            EXPECT_EQ(a->egress.count(8), 1u);
        }
    }
}

TEST_F(RouteTableTest, LosingContextsTellsWhoSentToThemAndTheParent) {
    td::RouteTable table(child_, false);
    auto up = stream("parent");
    table.set_parent(up);
    auto a = stream("a");
    auto b = stream("b");
    auto c = stream("c");
    table.add_child(7, "a", a);
    table.add_child(8, "b", b);
    table.add_child(9, "c", c);
    ASSERT_EQ(table.add_route(10, "a's child", *a), nullptr);
    ASSERT_TRUE(table.forward(from(8, 8, 10), *b).out);  // b talked to a's child
    ASSERT_TRUE(table.forward(from(9, 9, 0), *c).out);   // c only to the master

    // A child withdraws only what is behind it; the parent anything.
    EXPECT_EQ(table.withdrawable({10, 8}, *a), (std::vector<std::uint32_t>{10}));
    EXPECT_EQ(table.withdrawable({10, 8}, *up), (std::vector<std::uint32_t>{10, 8}));

    auto tell = table.lose({7, 10}, a.get());
    EXPECT_FALSE(table.routed(7));
    EXPECT_FALSE(table.routed(10));
    EXPECT_EQ(tell, (std::vector<std::shared_ptr<td::Stream>>{b, up}));
    EXPECT_EQ(b->egress.count(10), 0u);
    // Told once: a second loss of the same context tells only the parent.
    EXPECT_EQ(table.lose({10}, nullptr), (std::vector<std::shared_ptr<td::Stream>>{up}));

    // The parent's own report: its routes are not ours to drop, nor to echo.
    auto from_parent = table.lose({8}, up.get());
    EXPECT_TRUE(table.routed(8));
    EXPECT_TRUE(from_parent.empty());

    auto all = table.take_all();
    EXPECT_EQ(all.size(), 3u);  // b, c and the parent
    EXPECT_FALSE(table.routed(8));
    EXPECT_EQ(table.parent(), up);  // read without a lock: never reset
}

}  // namespace
