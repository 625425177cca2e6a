// main() of every test program: the test binary is also the program started
// as each child context, so it becomes a child first when it was started as
// one, and runs the tests otherwise.
#include <gtest/gtest.h>
#include <tether/tether.hpp>

#include "support/leak_check.hpp"

int main(int argc, char** argv) {
    tether::init(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    tt::install_leak_check();
    return RUN_ALL_TESTS();
}
