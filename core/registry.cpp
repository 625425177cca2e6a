#include "core/registry.hpp"

#include <cstdio>
#include <cstdlib>
#include <unordered_map>

namespace tether::detail {
namespace {

struct Registry {
    std::unordered_map<std::string, Invoker> by_name;
    std::unordered_map<const void*, std::string> names;
};

// Built on first use: TETHER_EXPORT runs during static initialization, in an
// order across files that nobody controls.
Registry& registry() {
    static Registry* instance = new Registry();
    return *instance;
}

}  // namespace

bool register_export(const void* function, const char* name, Invoker invoke) {
    Registry& r = registry();
    auto [it, inserted] = r.by_name.emplace(name, invoke);
    if (!inserted && r.names.count(function) == 0) {
        // Two functions under one name: calls would reach the wrong one.
        std::fprintf(stderr, "tether: TETHER_EXPORT(%s) names two different functions\n", name);
        std::abort();
    }
    r.names.emplace(function, name);
    return true;
}

Invoker find_export(const std::string& name) noexcept {
    const Registry& r = registry();
    auto it = r.by_name.find(name);
    return it == r.by_name.end() ? nullptr : it->second;
}

const std::string* exported_name(const void* function) noexcept {
    const Registry& r = registry();
    auto it = r.names.find(function);
    return it == r.names.end() ? nullptr : &it->second;
}

}  // namespace tether::detail
