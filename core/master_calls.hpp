// The functions the master serves (Router::allow_calls): which are open,
// to whom, and the thread that runs them. A master serves nothing until the
// program opens a function. Thread safety: allow() and stop() from any
// thread, admit() on the broker thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/call_port.hpp"
#include "core/dispatcher.hpp"

namespace tether {
class Context;
class Router;
}  // namespace tether

namespace tether::detail {

class MasterCalls {
  public:
    using Filter = std::function<bool(const tether::Context&)>;

    // `port` and the Router given to allow() outlive this object; stop()
    // must have joined the thread before it is destroyed (~Router does).
    MasterCalls(CallPort& port, std::string name) : port_(port), name_(std::move(name)) {}
    MasterCalls(const MasterCalls&) = delete;
    MasterCalls& operator=(const MasterCalls&) = delete;

    // Opens the exported function `name` to the callers `from` picks (empty:
    // all); the first opened function starts the serving thread.
    void allow(const std::string& name, Filter from, tether::Router& router);
    // Queues `call` if it names an open function and its caller passes the
    // filter. False: refused (`call` intact), answer it.
    bool admit(Message& call);
    // Closes every function again and joins the thread. Idempotent.
    void stop();

  private:
    bool may_call(const Message& call);

    CallPort& port_;
    const std::string name_;
    std::mutex mutex_;
    std::map<std::string, Filter> open_;
    std::shared_ptr<Dispatcher> dispatcher_;
    std::thread thread_;
};

}  // namespace tether::detail
