// Fuzz target: decoding a call (the function's name, then its arguments as
// the exported function declares them) the way the dispatcher does, and
// decoding a reply into the type the caller declared. The first byte picks
// the function (or reply type); the rest is the payload. A malformed
// payload must end in a WireError (a cereal::Exception, which the
// dispatcher answers as a CallError); anything else escaping is a finding,
// and so is an allocation far beyond the input (libFuzzer's -malloc_limit_mb).
#include <cereal/types/string.hpp>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "core/registry.hpp"
#include "core/router_core.hpp"
#include "fuzz_target.hpp"
#include "tether/tether.hpp"

namespace {

long long add(int a, int b) {
    return static_cast<long long>(a) + b;  // no overflow of its own
}
std::size_t join(const std::vector<std::string>& words, const std::map<std::string, int>& counts) {
    return words.size() + counts.size();
}
std::size_t mixed(std::optional<std::string> maybe, std::variant<int, std::string, double> either,
                  std::tuple<std::int8_t, std::uint64_t, bool> fixed, const tether::Blob& blob,
                  const tether::Secret& secret) {
    return (maybe ? maybe->size() : 0) + either.index() + std::get<1>(fixed) % 7 + blob.size() +
           secret.reveal().size();
}
std::string context_name(tether::Context c) {
    return c.name();
}
std::size_t nested(const std::vector<std::vector<std::map<int, std::string>>>& deep,
                   std::pair<float, std::vector<std::uint16_t>> pair) {
    return deep.size() + pair.second.size();
}
void nothing() {}
TETHER_EXPORT(add);
TETHER_EXPORT(join);
TETHER_EXPORT(mixed);
TETHER_EXPORT(context_name);
TETHER_EXPORT(nested);
TETHER_EXPORT(nothing);

const char* const kFunctions[] = {"add", "join", "mixed", "context_name", "nested", "nothing"};
constexpr std::size_t kCount = sizeof kFunctions / sizeof kFunctions[0];

// One master, made once: Context values decode against its router.
struct World {
    tether::Broker broker;
    tether::Router router{broker};
};
World& world() {
    static World* w = new World;  // never destroyed: the fuzzer exits without unwinding
    return *w;
}

template <class T>
void decode_reply_as(const std::string& payload) {
    tether::detail::Reply reply{false, payload};
    try {
        (void)tether::detail::decode_reply<T>(world().router.myself().ref(), reply);
    } catch (const tether::Error&) {
        // CallError (the remote threw), or "malformed reply" for garbage.
    }
}

}  // namespace

namespace tt::fuzz {

std::vector<std::string> seeds() {
    using tether::detail::encode_exact;
    auto call = [](std::uint8_t which, auto... args) {
        std::string payload;
        encode_exact(payload, std::string(kFunctions[which]), args...);
        return std::string(1, static_cast<char>(which)) + payload;
    };
    auto reply = [](std::uint8_t which, auto... args) {
        std::string payload;
        encode_exact(payload, args...);
        return std::string(1, static_cast<char>(0x80 | which)) + payload;
    };
    return {
        call(0, 1, 2),
        call(1, std::vector<std::string>{"a", "bc"}, std::map<std::string, int>{{"k", 1}}),
        call(2, std::optional<std::string>("x"), std::variant<int, std::string, double>(2.5),
             std::tuple<std::int8_t, std::uint64_t, bool>(-1, 99, true), tether::Blob("blob"),
             tether::Secret("pw")),
        call(3, std::uint32_t{0}, std::string("master")),
        call(4, std::vector<std::vector<std::map<int, std::string>>>{{{{1, "one"}}}},
             std::pair<float, std::vector<std::uint16_t>>(1.5f, {1, 2})),
        call(5),
        reply(0, std::uint8_t{0}, 3),
        reply(1, std::uint8_t{0}, std::string("text")),
        reply(2, std::uint8_t{0},
              std::vector<std::map<std::string, std::optional<int>>>{{{"a", 1}}}),
        reply(0, std::uint8_t{1}, std::string("std::runtime_error"), std::string("boom"),
              std::string("local.1"), std::string("#0 f")),
    };
}

}  // namespace tt::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] & 0x80) {
        switch (data[0] % 4) {
            case 0:
                decode_reply_as<int>(payload);
                break;
            case 1:
                decode_reply_as<std::string>(payload);
                break;
            case 2:
                decode_reply_as<std::vector<std::map<std::string, std::optional<int>>>>(payload);
                break;
            case 3:
                decode_reply_as<void>(payload);
                break;
        }
        return 0;
    }
    // As Dispatcher::serve: the name first, then the declared arguments.
    std::string call;
    tether::detail::encode_exact(call, std::string(kFunctions[data[0] % kCount]));
    call += payload;
    World& w = world();
    std::string reply;
    try {
        tether::detail::WireReader in(call);
        std::string function;
        in(function);
        tether::detail::Invoker invoke = tether::detail::find_export(function);
        if (invoke == nullptr) {
            std::abort();  // the name was one of ours
        }
        tether::CallContext cc(w.router, w.router.myself(), w.router.myself());
        tether::detail::DecodeScope scope(w.router.core().weak_from_this());
        invoke(cc, in, reply);
    } catch (const cereal::Exception&) {
        // Malformed arguments: answered as a CallError.
    }
    return 0;
}
