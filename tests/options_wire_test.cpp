// Every method's options encode and decode field by field (parent/
// options_wire.hpp), `via` excepted: the unit test of what a `via` start
// sends. The samples set every field to something other than its default,
// and the test checks that they do, so a field added to an options struct
// without a sample value here fails this test instead of going untested.
#include <gtest/gtest.h>

#include <boost/pfr.hpp>
#include <string>
#include <type_traits>

#include "parent/options_wire.hpp"
#include "support/harness.hpp"

using namespace std::chrono_literals;

namespace {

template <class T>
bool same(const T& a, const T& b) {
    return a == b;
}

bool same(const tether::Secret& a, const tether::Secret& b) {
    return a.reveal() == b.reveal();
}

bool same(const std::optional<tether::Secret>& a, const std::optional<tether::Secret>& b) {
    return a.has_value() == b.has_value() && (!a || same(*a, *b));
}

template <class T>
constexpr bool is_via = std::is_same_v<T, std::optional<tether::Context>>;

// Field I of the sample, of what it decoded to, and of the defaults.
template <std::size_t I, class Options>
void expect_field(const Options& sample, const Options& decoded, const Options& defaults) {
    const auto& s = boost::pfr::get<I>(sample);
    const auto& d = boost::pfr::get<I>(decoded);
    if constexpr (is_via<std::decay_t<decltype(s)>>) {
        EXPECT_FALSE(d.has_value()) << "via travelled (field " << I << ")";
    } else {
        EXPECT_FALSE(same(s, boost::pfr::get<I>(defaults)))
            << "the sample leaves field " << I << " at its default";
        EXPECT_TRUE(same(s, d)) << "field " << I << " changed on the way";
    }
}

template <class Options, std::size_t... I>
void expect_fields(const Options& sample, const Options& decoded, std::index_sequence<I...>) {
    const Options defaults{};
    (expect_field<I>(sample, decoded, defaults), ...);
}

// Encodes `sample` as a call argument is encoded, decodes it, and compares
// every field; `via` must arrive empty.
template <class Options>
void expect_round_trip(const Options& sample) {
    std::string bytes;
    {
        tether::detail::WireWriter out(bytes);
        out(sample);
    }
    Options decoded;
    {
        tether::detail::WireReader in(bytes);
        in(decoded);
        EXPECT_EQ(in.remaining(), 0u);
    }
    expect_fields(sample, decoded, std::make_index_sequence<boost::pfr::tuple_size_v<Options>>{});
}

}  // namespace

TEST(OptionsWire, LocalOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::LocalOptions{.program = {"/bin/true", "x"},
                                           .name = "n",
                                           .remote_name = "r",
                                           .connect_timeout = 1234ms,
                                           .via = master.router.myself(),
                                           .debug = true,
                                           .env = {{"A", "1"}, {"B", ""}}});
}

TEST(OptionsWire, SudoOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::SudoOptions{.username = "u",
                                          .password = tether::Secret("pw"),
                                          .sudo_path = "/opt/sudo",
                                          .preserve_env = true,
                                          .set_home = true,
                                          .login = true,
                                          .sudo_args = {"-g", "wheel"},
                                          .name = "n",
                                          .remote_name = "r",
                                          .connect_timeout = 1234ms,
                                          .via = master.router.myself(),
                                          .debug = true,
                                          .env = {{"A", "1"}}});
}

TEST(OptionsWire, SuOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::SuOptions{.username = "u",
                                        .password = tether::Secret("pw"),
                                        .su_path = "/opt/su",
                                        .name = "n",
                                        .remote_name = "r",
                                        .connect_timeout = 1234ms,
                                        .via = master.router.myself(),
                                        .debug = true,
                                        .env = {{"A", "1"}}});
}

TEST(OptionsWire, SshOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::SshOptions{.hostname = "h",
                                         .port = 2222,
                                         .username = "u",
                                         .identity_file = "/k",
                                         .password = tether::Secret("pw"),
                                         .check_host_keys = tether::HostKeyPolicy::accept_new,
                                         .known_hosts_file = "/kh",
                                         .keepalive_interval = 1500ms,
                                         .keepalive_count = 7,
                                         .compression = true,
                                         .use_agent = false,
                                         .config_file = "/cfg",
                                         .use_config = false,
                                         .name = "n",
                                         .remote_name = "r",
                                         .connect_timeout = 1234ms,
                                         .via = master.router.myself(),
                                         .debug = true,
                                         .env = {{"A", "1"}}});
}

TEST(OptionsWire, ForkOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::ForkOptions{.name = "n",
                                          .remote_name = "r",
                                          .connect_timeout = 1234ms,
                                          .via = master.router.myself(),
                                          .debug = true,
                                          .env = {{"A", "1"}}});
}

TEST(OptionsWire, DockerOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::DockerOptions{.container = "c",
                                            .image = "i",
                                            .username = "u",
                                            .docker_path = "/opt/docker",
                                            .name = "n",
                                            .remote_name = "r",
                                            .connect_timeout = 1234ms,
                                            .via = master.router.myself(),
                                            .debug = true,
                                            .env = {{"A", "1"}}});
}

TEST(OptionsWire, PodmanOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::PodmanOptions{.container = "c",
                                            .username = "u",
                                            .podman_path = "/opt/podman",
                                            .name = "n",
                                            .remote_name = "r",
                                            .connect_timeout = 1234ms,
                                            .via = master.router.myself(),
                                            .debug = true,
                                            .env = {{"A", "1"}}});
}

TEST(OptionsWire, LxcOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::LxcOptions{.container = "c",
                                         .lxc_path = "/opt/lxc",
                                         .name = "n",
                                         .remote_name = "r",
                                         .connect_timeout = 1234ms,
                                         .via = master.router.myself(),
                                         .debug = true,
                                         .env = {{"A", "1"}}});
}

TEST(OptionsWire, KubectlOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::KubectlOptions{.pod = "p",
                                             .container = "c",
                                             .kube_namespace = "ns",
                                             .kube_context = "ctx",
                                             .kubectl_path = "/opt/kubectl",
                                             .kubectl_args = {"--kubeconfig", "/k"},
                                             .name = "n",
                                             .remote_name = "r",
                                             .connect_timeout = 1234ms,
                                             .via = master.router.myself(),
                                             .debug = true,
                                             .env = {{"A", "1"}}});
}

TEST(OptionsWire, SetnsOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::SetnsOptions{.pid = 42,
                                           .net = "blue",
                                           .username = "u",
                                           .nsenter_path = "/opt/nsenter",
                                           .name = "n",
                                           .remote_name = "r",
                                           .connect_timeout = 1234ms,
                                           .via = master.router.myself(),
                                           .debug = true,
                                           .env = {{"A", "1"}}});
}

TEST(OptionsWire, DoasOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::DoasOptions{.username = "u",
                                          .password = tether::Secret("pw"),
                                          .doas_path = "/opt/doas",
                                          .name = "n",
                                          .remote_name = "r",
                                          .connect_timeout = 1234ms,
                                          .via = master.router.myself(),
                                          .debug = true,
                                          .env = {{"A", "1"}}});
}

TEST(OptionsWire, ChrootOptionsRoundTripEveryField) {
    tt::Master master;
    expect_round_trip(tether::ChrootOptions{.path = "/srv/root",
                                            .username = "u",
                                            .chroot_path = "/opt/chroot",
                                            .name = "n",
                                            .remote_name = "r",
                                            .connect_timeout = 1234ms,
                                            .via = master.router.myself(),
                                            .debug = true,
                                            .env = {{"A", "1"}}});
}

// Every registered method has a round-trip test above.
static_assert(std::variant_size_v<tether::ContextOptions> == 12,
              "a new method: add its OptionsWire round-trip test");
