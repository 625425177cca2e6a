#include "tools/fleet.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include "tether/errors.hpp"

namespace tether::cli {

const char* status_name(Status status) {
    switch (status) {
        case Status::ok:
            return "ok";
        case Status::failed:
            return "failed";
        case Status::unreachable:
            return "unreachable";
        case Status::interrupted:
            return "interrupted";
    }
    return "?";
}

std::string connect_failure(const std::exception& e) {
    const auto* connect = dynamic_cast<const ConnectError*>(&e);
    std::string why = connect ? connect->reason() : e.what();
    // One line per target: a failure inside a via context carries that
    // context's whole error, output lines and all.
    return why.substr(0, why.find('\n'));
}

void for_each_target(std::size_t count, std::size_t forks,
                     const std::function<void(std::size_t)>& work) {
    if (count == 0) {
        return;
    }
    std::atomic<std::size_t> next{0};
    std::size_t threads = std::clamp<std::size_t>(forks, 1, count);
    std::vector<std::jthread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (std::size_t i; (i = next++) < count;) {
                work(i);
            }
        });
    }
}

std::string summary(const std::vector<Target>& targets, const std::vector<Outcome>& outcomes) {
    std::size_t width = 0;
    for (const Target& t : targets) {
        width = std::max(width, t.name.size());
    }
    std::string out;
    std::size_t counts[4] = {};
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const Outcome& o = outcomes[i];
        ++counts[static_cast<int>(o.status)];
        char head[64];
        std::snprintf(head, sizeof head, "  %-12s", status_name(o.status));
        std::string detail;
        if (o.exit_code) {
            detail = "exit " + std::to_string(*o.exit_code);
        } else if (o.signal) {
            detail = "signal " + std::to_string(o.signal);
        }
        char time[32];
        if (o.seconds < 1) {
            std::snprintf(time, sizeof time, "%.0f ms", o.seconds * 1000);
        } else {
            std::snprintf(time, sizeof time, "%.2f s", o.seconds);
        }
        out += targets[i].name + std::string(width - targets[i].name.size(), ' ') + head;
        out += detail.empty() ? "" : detail + "  ";
        out += time;
        out += o.error.empty() ? "" : "  " + o.error;
        out += "\n";
    }
    out += std::to_string(targets.size()) + (targets.size() == 1 ? " target: " : " targets: ");
    out += std::to_string(counts[0]) + " ok, " + std::to_string(counts[1]) + " failed, " +
           std::to_string(counts[2]) + " unreachable";
    if (counts[3] > 0) {
        out += ", " + std::to_string(counts[3]) + " interrupted";
    }
    return out + "\n";
}

int exit_status(const std::vector<Outcome>& outcomes) {
    auto any = [&](Status s) {
        return std::any_of(outcomes.begin(), outcomes.end(),
                           [s](const Outcome& o) { return o.status == s; });
    };
    if (any(Status::interrupted)) {
        return 130;
    }
    if (any(Status::unreachable)) {
        return 4;
    }
    return any(Status::failed) ? 1 : 0;
}

}  // namespace tether::cli
