// Kept apart from <cxxabi.h>, whose declaration of __cxa_throw this file
// replaces with a definition of its own.
#include <dlfcn.h>

#include <typeinfo>

#include "core/throw_trace.hpp"

// Wraps the runtime's __cxa_throw: record, then throw as usual. An executable
// linking tether defines the symbol, so every throw in the process (libstdc++'s
// own included) comes through here first.
namespace tether::detail {
// Referenced from throw_trace.cpp so that this file is always linked in: a
// sanitizer runtime that defines __cxa_throw itself would otherwise satisfy
// the symbol first and the wrapper would be left out of the archive pull.
extern const bool cxa_throw_wrapped;
const bool cxa_throw_wrapped = true;
}  // namespace tether::detail

extern "C" {
using CxaThrow = void (*)(void*, std::type_info*, void (*)(void*));

[[noreturn]] void __cxa_throw(void* object, std::type_info* type, void (*destroy)(void*)) {
    static CxaThrow real = reinterpret_cast<CxaThrow>(dlsym(RTLD_NEXT, "__cxa_throw"));
    tether::detail::record_throw();
    real(object, type, destroy);
    __builtin_unreachable();
}
}
