// Passwords for the tool, never from its command line: asked for on the
// terminal with echo off, or read (one line) from a file descriptor.
#pragma once

#include <string>

#include "tether/secret.hpp"

namespace tether::cli {

// Throws UsageError when there is no terminal to ask on.
Secret ask_password(const std::string& prompt);
// The first line read from `fd` (without its newline). Throws UsageError.
Secret read_password(int fd);

}  // namespace tether::cli
