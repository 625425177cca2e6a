// Runs the calls a child receives, one at a time, in arrival order, on the
// thread that calls run() (the child's main thread) while the broker keeps
// doing IO. Thread safety: enqueue()/close() from the broker thread, run()
// from the main thread.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "core/call_port.hpp"
#include "core/message.hpp"
#include "tether/detail/wake_flag.hpp"

namespace tether {
class Router;
}

namespace tether::detail {

class Dispatcher {
  public:
    enum class Why { shutdown, parent_lost };

    // Serves as context `name`, whose parent is `parent` (cc.parent()),
    // answering through `port`. `port` and `router` outlive the dispatcher.
    Dispatcher(CallPort& port, Router& router, std::string name, std::uint32_t parent);

    // False once closed.
    // Takes `call` (moved from) unless closed: then returns false, `call` intact.
    bool enqueue(Message& call);
    // Stops taking calls; run() returns after the call in progress. Returns
    // whether a call was in progress.
    bool close(Why why);

    // Whether a call is running now.
    bool busy();

    // Runs before each reply leaves: flushes the child's stdout so that lines
    // printed by a call reach the master before its result.
    void set_before_reply(std::function<void()> hook) { before_reply_ = std::move(hook); }

    // Serves calls until closed. Returns the process exit code.
    int run();

  private:
    void serve(Message call);

    CallPort& port_;
    Router& router_;
    const std::string name_;
    const std::uint32_t parent_;
    std::function<void()> before_reply_;

    std::mutex mutex_;
    WakeFlag wake_;  // the main thread sleeps on it in run()
    std::deque<Message> queue_;
    bool closed_ = false;
    bool busy_ = false;
    Why why_ = Why::shutdown;
};

// Encodes the CallError reply for the exception being handled (call from a
// catch block). Captures the type name of any thrown object.
std::string encode_current_exception(const std::string& context_name);

}  // namespace tether::detail
