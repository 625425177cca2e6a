// tether ping: connect, call, report the latency and the chain of contexts.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "tools/commands.hpp"
#include "tools/console.hpp"
#include "tools/fleet.hpp"
#include "tools/interrupt.hpp"
#include "tools/remote.hpp"

namespace tether::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRoundTrips = 5;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string describe(const Context& c, const ContextInfo& info) {
    return c.name() + " (" + info.user + "@" + info.host + " pid " + std::to_string(info.pid) + ")";
}

// The chain as "tether -> local.12 (user@host pid 12) -> ...", and the
// median of a few round trips to the last hop, in ms.
std::string measure(const std::vector<Context>& hops, double& round_trip_ms) {
    std::string chain = "tether";
    for (const Context& c : hops) {
        chain += " -> " + describe(c, c.call(context_info));
    }
    std::vector<double> trips;
    for (int i = 0; i < kRoundTrips && !interrupted(); ++i) {
        auto t = Clock::now();
        hops.back().call(context_info);
        trips.push_back(ms_since(t));
    }
    std::sort(trips.begin(), trips.end());
    round_trip_ms = trips.empty() ? 0 : trips[trips.size() / 2];
    return chain;
}

void ping_one(const Target& target, Connector& connector, Console& console, Outcome& outcome) {
    auto started = Clock::now();
    Release release(connector, target);
    std::vector<Context> hops;
    if (interrupted()) {
        outcome = {.status = Status::interrupted, .error = "not started"};
    } else {
        try {
            hops = connector.open(target);
        } catch (const std::exception& e) {
            outcome = {.status = Status::unreachable, .error = connect_failure(e)};
        }
    }
    if (!hops.empty()) {
        double connect_ms = ms_since(started);
        try {
            double round_trip_ms = 0;
            std::string chain = measure(hops, round_trip_ms);
            char line[128];
            std::snprintf(line, sizeof line, "ok  connect %.1f ms  round trip %.3f ms  ",
                          connect_ms, round_trip_ms);
            console.lines(target.name, line + chain, false);
            outcome.status = interrupted() ? Status::interrupted : Status::ok;
        } catch (const std::exception& e) {
            outcome = {.status = Status::failed, .error = e.what()};
        }
    }
    outcome.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (!outcome.error.empty()) {
        console.error(target.name, std::string(status_name(outcome.status)) + ": " + outcome.error);
    }
    console.finished(outcome.status != Status::ok);
}

}  // namespace

int run_ping(Run& run) {
    std::size_t n = run.targets.size();
    Console console(n, show_progress(n, run.line.forks));
    std::vector<Outcome> outcomes(n);
    for_each_target(n, run.line.forks, [&](std::size_t i) {
        ping_one(run.targets[i], run.connector, console, outcomes[i]);
    });
    console.close();
    if (n > 1) {
        console.print(summary(run.targets, outcomes), true);
    }
    return exit_status(outcomes);
}

}  // namespace tether::cli
