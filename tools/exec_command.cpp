// tether exec: the command in every target at once, output streamed with the
// target's name in front, then a summary.
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstring>

#include "tools/commands.hpp"
#include "tools/console.hpp"
#include "tools/fleet.hpp"
#include "tools/interrupt.hpp"
#include "tools/remote.hpp"

namespace tether::cli {
namespace {

using Clock = std::chrono::steady_clock;

// How long one look at a running command waits for output: short enough that
// an interrupt is seen at once, long enough that an idle command costs little.
constexpr int kWaitMs = 200;
constexpr int kKillGraceMs = 1000;

// What one target printed and how it ended, for --json.
struct Captured {
    std::string out = {};
    std::string err = {};
};

void run_one(const Target& target, const std::vector<std::string>& argv, Connector& connector,
             Console& console, bool json, Outcome& outcome, Captured& captured) {
    auto started = Clock::now();
    LineBuffer out_lines, err_lines;
    auto show = [&](const ExecOutput& o) {
        if (json) {
            captured.out += o.out;
            captured.err += o.err;
            return;
        }
        console.lines(target.name, out_lines.take(o.out), false);
        console.lines(target.name, err_lines.take(o.err), true);
    };
    auto finish = [&](Status status, std::string error) {
        outcome.status = status;
        outcome.error = std::move(error);
        outcome.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        if (!json) {
            console.lines(target.name, out_lines.rest(), false);
            console.lines(target.name, err_lines.rest(), true);
            if (!outcome.error.empty()) {
                console.error(target.name, std::string(status_name(status)) + ": " + outcome.error);
            }
        }
        console.finished(status != Status::ok);
    };
    Release release(connector, target);
    if (interrupted()) {
        finish(Status::interrupted, "not started");
        return;
    }
    std::vector<Context> hops;
    try {
        hops = connector.open(target);
    } catch (const std::exception& e) {
        finish(Status::unreachable, connect_failure(e));
        return;
    }
    Context& context = hops.back();
    try {
        if (interrupted()) {
            finish(Status::interrupted, "not started");
        } else {
            std::uint64_t job = context.call(exec_start, argv);
            while (true) {
                if (interrupted()) {
                    show(context.call(exec_kill, job, kKillGraceMs));
                    finish(Status::interrupted, "stopped");
                    break;
                }
                ExecOutput o = context.call(exec_wait, job, kWaitMs);
                show(o);
                if (o.done) {
                    outcome.exit_code = o.signal ? std::nullopt : std::optional<int>(o.exit_code);
                    outcome.signal = o.signal;
                    bool ok = !o.signal && o.exit_code == 0;
                    finish(
                        ok ? Status::ok : Status::failed,
                        o.signal ? std::string("killed by signal ") + ::strsignal(o.signal) : "");
                    break;
                }
            }
        }
    } catch (const CallError& e) {
        // exec_start's own refusals: "command not found: X", "cannot run X: ...".
        if (e.message().rfind("command not found", 0) == 0) {
            outcome.exit_code = 127;
        }
        finish(Status::failed, e.message());
    } catch (const ChannelError& e) {
        finish(Status::failed, "lost " + e.context_name() + ": " + e.reason());
    } catch (const std::exception& e) {
        finish(Status::failed, e.what());
    }
}

std::string to_json(const Target& target, const Outcome& o, const Captured& captured) {
    boost::json::object j;
    j["target"] = target.name;
    j["status"] = status_name(o.status);
    j["exit_code"] = o.exit_code ? boost::json::value(*o.exit_code) : boost::json::value(nullptr);
    j["signal"] = o.signal ? boost::json::value(o.signal) : boost::json::value(nullptr);
    j["seconds"] = o.seconds;
    j["stdout"] = captured.out;
    j["stderr"] = captured.err;
    j["error"] = o.error.empty() ? boost::json::value(nullptr) : boost::json::value(o.error);
    return boost::json::serialize(j) + "\n";
}

}  // namespace

int run_exec(Run& run) {
    std::size_t n = run.targets.size();
    Console console(n, !run.line.json && show_progress(n, run.line.forks));
    std::vector<Outcome> outcomes(n);
    std::vector<Captured> captured(n);
    for_each_target(n, run.line.forks, [&](std::size_t i) {
        run_one(run.targets[i], run.line.argv, run.connector, console, run.line.json, outcomes[i],
                captured[i]);
        if (run.line.json) {
            console.print(to_json(run.targets[i], outcomes[i], captured[i]));
        }
    });
    console.close();
    if (!run.line.json) {
        console.print(summary(run.targets, outcomes), true);
    }
    return exit_status(outcomes);
}

bool show_progress(std::size_t targets, std::size_t forks) {
    return ::isatty(2) && targets > 4 && forks > 1;
}

}  // namespace tether::cli
