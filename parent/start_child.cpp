#include "parent/start_child.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/log.hpp"

namespace tether::detail {

std::string default_remote_name() {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    // Looked up once per effective uid: an NSS lookup on every start costs a
    // read of /etc/passwd (or a round trip to a directory service).
    static std::mutex mutex;
    static uid_t cached_uid = static_cast<uid_t>(-1);
    static std::string cached_user;
    std::string user;
    {
        std::lock_guard lock(mutex);
        if (cached_uid != ::geteuid() || cached_user.empty()) {
            cached_user = this_account().name;
            cached_uid = ::geteuid();
        }
        user = cached_user;
    }
    return "tether:" + (user.empty() ? "?" : user) + "@" + host + ":" + std::to_string(::getpid());
}

Context start_child(RouterCore& core, const ChildSpec& spec, const Spawn& spawn) {
    core.check_open();
    if (spec.remote_name.find('/') != std::string::npos) {
        throw ConnectError(spec.name.empty() ? spec.method : spec.name,
                           "remote_name must not contain '/'");
    }
    BootConfig boot;
    boot.context_id = core.allocate_id();
    boot.parent_ids.push_back(core.id());
    boot.parent_ids.insert(boot.parent_ids.end(), core.parent_ids().begin(),
                           core.parent_ids().end());
    for (std::uint32_t id : boot.parent_ids) {
        boot.parent_names.push_back(core.name_of(id));
    }
    boot.remote_name = spec.remote_name.empty() ? default_remote_name() : spec.remote_name;
    boot.max_message_size = core.options().max_message_size;
    boot.unidirectional = core.options().unidirectional;
    boot.log_level = log_level_code();
    boot.debug = spec.debug;

    std::shared_ptr<Connection> connection = core.broker().post_sync([&] {
        core.check_open();  // the broker may have begun shutting down meanwhile
        SpawnedChild child = spawn(boot);
        std::string name =
            spec.name.empty() ? spec.method + "." + std::to_string(child.pid) : spec.name;
        // A context started inside another is named for the whole chain.
        boot.name = core.is_master() ? name : core.name() + "." + name;
        std::shared_ptr<Connection> c;
        try {
            c = std::make_shared<Connection>(core, boot, child, spec.connect_timeout);
        } catch (const std::exception& e) {
            // Nothing owns the child yet: close its fds, and kill and reap it.
            ::close(child.protocol_fd);
            ::close(child.stderr_fd);
            if (child.handle) {
                child.handle->kill_and_reap();
            } else {
                ::kill(child.pid, SIGKILL);
                ::waitpid(child.pid, nullptr, 0);
            }
            throw ConnectError(boot.name, std::string("phase 'spawn': ") + e.what());
        }
        c->start();
        return c;
    });
    return Context(connection->wait_connected());
}

Context start_bootstrapped(RouterCore& core, const ChildSpec& spec, Command command,
                           BootstrapPlan plan, std::shared_ptr<PasswordDialog> dialog) {
    command.env = environment_with({});
    return start_child(core, spec, [&](const BootConfig&) {
        SpawnedChild child = spawn_command(command, spec.name);
        child.bootstrap = std::move(plan);
        child.dialog = dialog;
        child.dialog_on_stream = command.terminal == Terminal::full;
        if (dialog && dialog->password()) {
            child.redact.push_back(*dialog->password());
        }
        return child;
    });
}

void rethrow_via_failure(const Context& via, const std::string& method, const CallError& error) {
    throw ConnectError(via.name() + "." + method, "failed inside " + via.name() + ": " +
                                                      error.type_name() + ": " + error.message());
}

}  // namespace tether::detail
