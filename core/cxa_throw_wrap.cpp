// The static program's way to see every throw: linked with
// -Wl,--wrap=__cxa_throw (tether's link options for a static image), every
// reference to __cxa_throw, libstdc++.a's included, names this function
// instead, and __real___cxa_throw is the runtime's own. A dynamic program
// interposes the symbol instead (core/cxa_throw.cpp); there is no RTLD_NEXT
// in a static one.
#include <typeinfo>

#include "core/throw_trace.hpp"

extern "C" {
[[noreturn]] void __real___cxa_throw(void* object, std::type_info* type, void (*destroy)(void*));

[[noreturn]] void __wrap___cxa_throw(void* object, std::type_info* type, void (*destroy)(void*)) {
    tether::detail::record_throw();
    __real___cxa_throw(object, type, destroy);
}
}
