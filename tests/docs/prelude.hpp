// What every ```cpp block of README.md and docs/*.md is compiled with (see
// docs/writing-docs.md): tether, the standard headers examples use without
// saying so, and the example functions of shared/API.md. The functions are
// exported as docs_prelude::add and so on, so a block that exports its own
// `add` does not collide with them.
#pragma once

#include <tether/tether.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace docs_prelude {

int add(int a, int b);
std::string greet(const std::string& who);
void fail();  // throws std::runtime_error("boom")

}  // namespace docs_prelude
