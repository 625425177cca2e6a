// The smallest real tether program: export a function, start a local child
// context, call the function there. The packaging tests run it and compare
// its output.
#include <tether/tether.hpp>

#include <iostream>

int add(int a, int b) {
    return a + b;
}
TETHER_EXPORT(add);

int main(int argc, char** argv) {
    return tether::run_with_router(argc, argv, [](tether::Router& router) {
        tether::Context child = router.local();
        int sum = child.call(add, 2, 3);
        std::cout << "tether consumer: add(2, 3) = " << sum << std::endl;
        return sum == 5 ? 0 : 1;
    });
}
