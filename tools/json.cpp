// Boost.JSON, compiled here once (header-only mode) for the tool's --json.
#include <boost/json/src.hpp>
