// Program entry helpers. The program that starts contexts also runs as each
// child; these decide which role this process has.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "tether/broker.hpp"
#include "tether/options.hpp"
#include "tether/router.hpp"

namespace tether {

namespace detail {
// Serves the parent when this process was started as a child, returning the
// exit code when done; nullopt in the master.
std::optional<int> serve_if_child(int argc, char** argv);
}  // namespace detail

// In a child: serves the parent and exits the process when done (never
// returns). In the master: returns at once. Call it first thing in main.
void init(int argc, char** argv);

// Master: builds a Broker and Router, runs `fn(router)`, shuts everything down
// on every path out (exceptions included) and returns fn's int (0 for void).
// Child: never runs `fn`; serves the parent and returns the exit code.
template <class F>
int run_with_router(int argc, char** argv, F&& fn, RouterOptions options = {}) {
    if (std::optional<int> code = detail::serve_if_child(argc, argv)) {
        return *code;
    }
    Broker broker;
    int result = 0;
    {
        Router router(broker, options);
        if constexpr (std::is_void_v<std::invoke_result_t<F, Router&>>) {
            std::forward<F>(fn)(router);
        } else {
            result = std::forward<F>(fn)(router);
        }
    }
    broker.shutdown();
    return result;
}

}  // namespace tether
