// Kept apart from <cxxabi.h>, whose declaration of __cxa_throw this file
// replaces with a definition of its own.
#include <dlfcn.h>

#include <typeinfo>

#include "core/throw_trace.hpp"

// Wraps the runtime's __cxa_throw in a dynamically linked program: record,
// then throw as usual. The executable defines the symbol, so every throw in
// the process (libstdc++'s own included) comes through here first. A static
// program (tether_portable_executable) links core/cxa_throw_wrap.cpp instead.
extern "C" {
// Named by tether's link options (-Wl,--undefined) so that this file is
// always linked in: a sanitizer runtime that defines __cxa_throw itself
// would otherwise satisfy the symbol first and leave this file out.
extern const char tether_cxa_throw_interposer;
const char tether_cxa_throw_interposer = 1;

using CxaThrow = void (*)(void*, std::type_info*, void (*)(void*));

[[noreturn]] void __cxa_throw(void* object, std::type_info* type, void (*destroy)(void*)) {
    static CxaThrow real = reinterpret_cast<CxaThrow>(dlsym(RTLD_NEXT, "__cxa_throw"));
    tether::detail::record_throw();
    real(object, type, destroy);
    __builtin_unreachable();
}
}
