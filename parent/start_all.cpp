// Router::start and Router::start_all: any method, by the options it is given.
// start_all runs several starts at once: each blocks a worker thread while the
// broker does the work (for SSH the whole connection is asynchronous there),
// so N hosts take about as long as the slowest one.
#include <algorithm>
#include <atomic>
#include <thread>

#include "parent/method.hpp"
#include "tether/router.hpp"

namespace tether {
namespace {

constexpr std::size_t kMaxWorkers = 256;

}  // namespace

Context Router::start(const ContextOptions& options) {
    return std::visit([this](const auto& o) { return detail::start(*this, o); }, options);
}

std::vector<StartResult> Router::start_all(const std::vector<ContextOptions>& options,
                                           std::size_t max_in_flight) {
    std::vector<StartResult> results(options.size());
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < options.size();) {
            // detail::start throws nothing but ConnectError, named for the
            // context it could not start.
            try {
                results[i].context = start(options[i]);
            } catch (const ConnectError& e) {
                results[i].error = e;
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
