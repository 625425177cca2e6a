// Fan-out over many targets: start every context at once with start_all
// (each failure reported on its own), call one function in all of them, and
// print the answers as they arrive through one Select.
//
//   fan_out [TARGET...]     TARGET: local | [user@]host[:port] (SSH)
//
// With no targets it uses four local contexts. SSH targets use the agent or
// ~/.ssh/id_*, and ~/.ssh/known_hosts (accepting hosts not seen before).
#include <tether/tether.hpp>

#include <sys/utsname.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

std::string describe_host() {
    utsname u{};
    ::uname(&u);
    return std::string(u.nodename) + " (" + u.sysname + " " + u.release + "), pid " +
           std::to_string(::getpid()) + ", uid " + std::to_string(::geteuid());
}

TETHER_EXPORT(describe_host);

namespace {

tether::ContextOptions options_for(const std::string& target) {
    if (target == "local") {
        return tether::LocalOptions{};
    }
    tether::SshOptions ssh{.hostname = target,
                           .check_host_keys = tether::HostKeyPolicy::accept_new,
                           .connect_timeout = std::chrono::seconds(20)};
    if (auto at = ssh.hostname.find('@'); at != std::string::npos) {
        ssh.username = ssh.hostname.substr(0, at);
        ssh.hostname.erase(0, at + 1);
    }
    if (auto colon = ssh.hostname.rfind(':'); colon != std::string::npos) {
        ssh.port = std::stoi(ssh.hostname.substr(colon + 1));
        ssh.hostname.erase(colon);
    }
    return ssh;
}

}  // namespace

int main(int argc, char** argv) {
    return tether::run_with_router(argc, argv, [&](tether::Router& router) {
        std::vector<std::string> targets(argv + 1, argv + argc);
        if (targets.empty()) {
            targets.assign(4, "local");
        }
        std::vector<tether::ContextOptions> options;
        for (const auto& target : targets) {
            options.push_back(options_for(target));
        }
        int failed = 0;
        std::vector<tether::Receiver<std::string>> calls;
        for (auto& started : router.start_all(options)) {
            if (!started.ok()) {
                std::cout << started.error->context_name()
                          << ": unreachable: " << started.error->reason() << "\n";
                ++failed;
                continue;
            }
            calls.push_back(started.get().call_async(describe_host));
        }
        tether::Select<std::string> select(calls);
        while (!select.empty()) {
            auto done = select.get(std::chrono::seconds(30));
            try {
                std::cout << done.context().name() << ": " << done.value() << "\n";
            } catch (const tether::Error& e) {
                std::cout << done.context().name() << ": failed: " << e.what() << "\n";
                ++failed;
            }
        }
        std::cout << targets.size() - static_cast<std::size_t>(failed) << " of " << targets.size()
                  << " answered\n";
        return failed == 0 ? 0 : 1;
    });
}
