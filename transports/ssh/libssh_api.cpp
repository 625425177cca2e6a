#include "transports/ssh/libssh_api.hpp"

#include <dlfcn.h>

#include <mutex>
#include <optional>
#include <string>

#include "core/account.hpp"
#include "core/log.hpp"
#include "tether/errors.hpp"

namespace tether::detail {
namespace {

constexpr const char* kLibrary = "libssh.so.4";

thread_local std::vector<std::string>* captured = nullptr;  // LibSshLogCapture's

// libssh's own log lines. Even its "warnings" are mostly chatter (a missing
// /etc/ssh/ssh_known_hosts, OpenSSH's host key announcement); what matters
// reaches the user as a ConnectError or a lost context.
void forward_log(int priority, const char* function, const char* buffer, void*) {
    LogLevel level = priority <= SSH_LOG_PROTOCOL ? LogLevel::debug : LogLevel::trace;
    TETHER_LOG(level, "tether.libssh", function, ": ", buffer);
    if (captured != nullptr && priority <= SSH_LOG_WARN) {
        captured->emplace_back(buffer);
    }
}

LibSsh load() {
    if (statically_linked()) {
        // glibc's dlopen from a static program loads a second C library
        // beside the static one; libssh crashes in it.
        throw Error(
            "ssh: this context runs the portable (static) build of the program, which cannot "
            "load libssh; open SSH connections from the master or from a context that runs the "
            "dynamically linked program");
    }
    void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        throw Error(std::string("ssh: libssh is not available here (") + (why ? why : kLibrary) +
                    "); a context that opens SSH connections needs it installed "
                    "(Debian: libssh-4)");
    }
    LibSsh api;
#define TETHER_LIBSSH_RESOLVE(name)                                          \
    api.name = reinterpret_cast<decltype(api.name)>(::dlsym(handle, #name)); \
    if (api.name == nullptr) {                                               \
        throw Error(std::string("ssh: ") + kLibrary +                        \
                    " lacks " #name                                          \
                    " (libssh 0.10 or newer "                                \
                    "is needed)");                                           \
    }
    TETHER_LIBSSH_FUNCTIONS(TETHER_LIBSSH_RESOLVE)
#undef TETHER_LIBSSH_RESOLVE
    api.ssh_init();
    return api;
}

}  // namespace

LibSshLogCapture::LibSshLogCapture(std::vector<std::string>& lines) {
    captured = &lines;
}

LibSshLogCapture::~LibSshLogCapture() {
    captured = nullptr;
}

const LibSsh& libssh() {
    // Not a function-local static: a failed load must be retried (and
    // reported) on the next connection, not cached as an exception.
    static std::mutex mutex;
    static std::optional<LibSsh> api;
    std::lock_guard lock(mutex);
    if (!api) {
        api = load();
    }
    // libssh's log callback and level are per thread (LIBSSH_THREAD): set
    // on the calling thread, the broker's, for each connection, at the level
    // tether logs at now (protocol detail at debug or finer).
    api->ssh_set_log_callback(forward_log);
    api->ssh_set_log_level(log_enabled(LogLevel::debug) ? SSH_LOG_PROTOCOL : SSH_LOG_WARN);
    return *api;
}

}  // namespace tether::detail
