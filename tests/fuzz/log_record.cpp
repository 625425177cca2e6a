// Fuzz target: the control payloads a parent decodes from a child: log
// records (and the routes a child announces, and its boot answer). The
// first byte picks the decoder. Anything but a clean decode or a WireError
// is a finding.
#include "core/log.hpp"
#include "core/message.hpp"
#include "core/protocol.hpp"
#include "fuzz_target.hpp"
#include "tether/detail/wire.hpp"

namespace tt::fuzz {

std::vector<std::string> seeds() {
    using namespace tether::detail;
    return {
        seed('\0', {encode(LogRecord{3, 2, "stderr", "sudo: a password is required"})}),
        seed('\0', {encode(LogRecord{7, 4, "tether.router", std::string(2000, 'z')})}),
        seed('\1', {encode(RouteAdded{12, "ssh.web1.sudo.root"})}),
        seed('\2', {encode(RoutesDeleted{{4, 5, 6}, "EOF"})}),
        seed('\3', {encode(BootAck{4242})}),
    };
}

}  // namespace tt::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tether::detail;
    if (size == 0) {
        return 0;
    }
    std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        switch (data[0] % 4) {
            case 0: {
                LogRecord r = decode<LogRecord>(payload);
                // What the master does with one: bounds the level, names it.
                if (r.level >= 0 && r.level <= 4 && r.logger.size() + r.text.size() > size) {
                    std::abort();  // decoded more text than there were bytes
                }
                break;
            }
            case 1:
                decode<RouteAdded>(payload);
                break;
            case 2: {
                RoutesDeleted d = decode<RoutesDeleted>(payload);
                if (d.ids.size() * sizeof(std::uint32_t) > size) {
                    std::abort();
                }
                break;
            }
            case 3:
                decode<BootAck>(payload);
                break;
        }
    } catch (const cereal::Exception&) {
        // Malformed: the stream would log it and drop the message.
    }
    return 0;
}
