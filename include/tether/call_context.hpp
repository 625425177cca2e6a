// What an exported function whose first parameter is `CallContext&` learns
// about the call it serves. Filled in by the dispatcher; valid for the call.
//
//   int spawn_and_add(tether::CallContext& cc, int a) {
//       return cc.router().local().call(add, a, 1);   // a grandchild
//   }
#pragma once

#include "tether/context.hpp"

namespace tether {

class Router;

class CallContext {
  public:
    CallContext(Router& router, Context caller, Context parent)
        : router_(router), caller_(std::move(caller)), parent_(std::move(parent)) {}

    // This context's router: start contexts from inside a child with it.
    Router& router() const noexcept { return router_; }
    // The context that sent the call.
    const Context& caller() const noexcept { return caller_; }
    // This context's parent.
    const Context& parent() const noexcept { return parent_; }

  private:
    Router& router_;
    Context caller_;
    Context parent_;
};

}  // namespace tether
