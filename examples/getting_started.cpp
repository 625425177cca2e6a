// The getting-started program: start local child contexts, call functions in
// them, and fan a call out over several contexts with Select.
#include <tether/tether.hpp>

#include <unistd.h>
#include <iostream>
#include <string>
#include <vector>

int add(int a, int b) {
    return a + b;
}

std::string hello(const std::string& from) {
    std::cout << "Hello from remote context!" << std::endl;
    return "hello " + from + ", this is pid " + std::to_string(::getpid());
}

TETHER_EXPORT(add);
TETHER_EXPORT(hello);

int main(int argc, char** argv) {
    return tether::run_with_router(argc, argv, [](tether::Router& router) {
        tether::Context child = router.local();
        std::cout << child.name() << ": add(1, 2) = " << child.call(add, 1, 2) << "\n";
        std::cout << child.name() << ": " << child.call(hello, std::string("master")) << "\n";

        // Fan out: one call to each of four contexts, results in arrival order.
        std::vector<tether::Context> contexts;
        for (int i = 0; i < 4; ++i) {
            contexts.push_back(router.local());
        }
        std::vector<tether::Receiver<int>> calls;
        for (std::size_t i = 0; i < contexts.size(); ++i) {
            calls.push_back(contexts[i].call_async(add, static_cast<int>(i), 100));
        }
        tether::Select<int> select(calls);
        while (!select.empty()) {
            auto done = select.get(std::chrono::seconds(10));
            std::cout << done.context().name() << " answered " << done.value() << "\n";
        }
        return 0;
    });
}
