// Starting a context *via* another one: the method's options travel there as
// a call argument (a request struct: the options minus `via`), and the far
// side runs the same factory. Internal.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "parent/start_child.hpp"
#include "tether/context.hpp"
#include "tether/errors.hpp"

namespace tether::detail {

// The fields every method's options share.
struct CommonRequest {
    std::string name;
    std::string remote_name;
    std::int64_t connect_timeout_ms = 0;
    bool debug = false;
    std::map<std::string, std::string> env;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(name, remote_name, connect_timeout_ms, debug, env);
    }
};

template <class Options>
CommonRequest common_request(const Options& o) {
    return CommonRequest{o.name, o.remote_name, o.connect_timeout.count(), o.debug, o.env};
}

template <class Options>
void apply_common(const CommonRequest& r, Options& o) {
    o.name = r.name;
    o.remote_name = r.remote_name;
    o.connect_timeout = std::chrono::milliseconds(r.connect_timeout_ms);
    o.debug = r.debug;
    o.env = r.env;
}

// Calls `starter(request)` inside options.via and returns the context it
// started there. The far side enforces the connect timeout; this wait only
// guards against `via` itself going silent.
template <class Options, class Request>
Context start_via(const Options& options, Context (*starter)(CallContext&, Request),
                  Request request, const std::string& method) {
    Context via = *options.via;
    auto reply = via.call_async(starter, std::move(request));
    try {
        return reply.get(options.connect_timeout + std::chrono::seconds(5));
    } catch (const CallError& e) {
        rethrow_via_failure(via, method, e);
    }
}

}  // namespace tether::detail
