#include "tests/docs/prelude.hpp"

namespace docs_prelude {

int add(int a, int b) {
    return a + b;
}

std::string greet(const std::string& who) {
    return "hello " + who;
}

void fail() {
    throw std::runtime_error("boom");
}

}  // namespace docs_prelude

TETHER_EXPORT(docs_prelude::add);
TETHER_EXPORT(docs_prelude::greet);
TETHER_EXPORT(docs_prelude::fail);
