// A master for one test: a Broker and a Router, shut down when the test ends.
#pragma once

#include <tether/tether.hpp>

#include <chrono>
#include <string>

namespace tt {

struct Master {
    explicit Master(tether::RouterOptions options = {}) : router(broker, options) {}
    ~Master() { broker.shutdown(); }

    tether::Broker broker;
    tether::Router router;
};

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace tt
