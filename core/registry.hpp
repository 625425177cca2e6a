// The table of exported functions, filled during static initialization by
// TETHER_EXPORT and read-only once main() runs. Internal.
#pragma once

#include <string>

#include "tether/export.hpp"

namespace tether::detail {

// The invoker of the function exported as `name`, or nullptr.
Invoker find_export(const std::string& name) noexcept;

}  // namespace tether::detail
