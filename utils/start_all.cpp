// Router::start_all: several starts in flight at once. Each start blocks a
// worker thread while the broker does the work (for SSH the whole connection
// is asynchronous there), so N hosts take about as long as the slowest one.
#include <algorithm>
#include <atomic>
#include <thread>

#include "tether/router.hpp"

namespace tether {
namespace {

constexpr std::size_t kMaxWorkers = 256;

// What a start's failure is called when the error is not a ConnectError.
std::string default_name(const ContextOptions& options) {
    return std::visit(
        [](const auto& o) -> std::string {
            using T = std::decay_t<decltype(o)>;
            if (!o.name.empty()) {
                return o.name;
            }
            if constexpr (std::is_same_v<T, LocalOptions>) {
                return "local";
            } else if constexpr (std::is_same_v<T, SudoOptions>) {
                return "sudo." + o.username;
            } else if constexpr (std::is_same_v<T, SuOptions>) {
                return "su." + o.username;
            } else {
                return "ssh." + o.hostname + ":" + std::to_string(o.port);
            }
        },
        options);
}

}  // namespace

std::vector<StartResult> Router::start_all(const std::vector<ContextOptions>& options,
                                           std::size_t max_in_flight) {
    std::vector<StartResult> results(options.size());
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < options.size();) {
            try {
                results[i].context = std::visit(
                    [this](const auto& o) -> Context {
                        using T = std::decay_t<decltype(o)>;
                        if constexpr (std::is_same_v<T, LocalOptions>) {
                            return local(o);
                        } else if constexpr (std::is_same_v<T, SudoOptions>) {
                            return sudo(o);
                        } else if constexpr (std::is_same_v<T, SuOptions>) {
                            return su(o);
                        } else {
                            return ssh(o);
                        }
                    },
                    options[i]);
            } catch (const ConnectError& e) {
                results[i].error = e;
            } catch (const std::exception& e) {
                results[i].error = ConnectError(default_name(options[i]), e.what());
            } catch (...) {
                results[i].error = ConnectError(default_name(options[i]), "unknown exception");
            }
        }
    };
    std::size_t limit = max_in_flight == 0 ? kMaxWorkers : max_in_flight;
    std::size_t workers = std::min({options.size(), limit, kMaxWorkers});
    std::vector<std::jthread> threads;
    threads.reserve(workers);
    for (std::size_t i = 1; i < workers; ++i) {
        threads.emplace_back(work);
    }
    work();           // this thread is one of the workers
    threads.clear();  // joined: every result is written
    return results;
}

}  // namespace tether
