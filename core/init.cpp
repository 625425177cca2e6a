#include <cstdlib>
#include <optional>

#include "tether/run_with_router.hpp"

namespace tether {

void init(int argc, char** argv) {
    if (std::optional<int> code = detail::serve_if_child(argc, argv)) {
        std::exit(*code);
    }
}

}  // namespace tether
