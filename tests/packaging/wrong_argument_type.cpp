// Compiled (not built) by the packaging.compile_fail.* tests: a call whose
// arguments do not match the exported function must not compile, and must be
// refused with the library's own message.
//
//   (no macro)                        add(1, "x"): wrong argument type, must fail
//   TETHER_TEST_WRONG_ARGUMENT_COUNT  add(1): wrong argument count, must fail
//   TETHER_TEST_RIGHT_ARGUMENTS       add(1, 2): the control, must compile
#include <tether/tether.hpp>

int add(int a, int b) {
    return a + b;
}
TETHER_EXPORT(add);

int call_add(const tether::Context& ctx) {
#if defined(TETHER_TEST_RIGHT_ARGUMENTS)
    return ctx.call(add, 1, 2);
#elif defined(TETHER_TEST_WRONG_ARGUMENT_COUNT)
    return ctx.call(add, 1);
#else
    return ctx.call(add, 1, "x");
#endif
}
