// The shell bootstrap shared by every method that reaches its target through
// a command line: a POSIX sh script, passed as an argument, that finds or
// receives this program in a per-user cache and execs it (docs/how-it-works.md
// "Bootstrap"). Internal.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "parent/program_image.hpp"

namespace tether::detail {

struct BootstrapPlan {
    // "tether-<random hex>": starts every line the bootstrap prints for us,
    // so neither a login banner nor a hostile file can pass for one.
    std::string marker;
    const ProgramImage* image = nullptr;
    // The static-pie build of the same program (TETHER_PORTABLE), shipped
    // instead of `image` where the target's glibc cannot run `image`; or none.
    const ProgramImage* portable = nullptr;
    // Offer the upload gzip-compressed (taken when the target has gzip): for
    // targets across a network, where bytes cost more than the compression.
    bool compress = false;
    // The upload's own deadline on the target (whole seconds, at least 1).
    std::chrono::seconds timeout{30};
    std::map<std::string, std::string> env;  // exported before anything else
};

// A fresh plan for shipping this program, with a random marker.
BootstrapPlan plan_bootstrap(std::chrono::milliseconds connect_timeout,
                             const std::map<std::string, std::string>& env);

// The image the script asked for by its SHA-256, or nullptr.
const ProgramImage* image_named(const BootstrapPlan& plan, std::string_view sha256);

// The script, on one line and written so that it survives one more round of
// shell parsing with sudo -i's escaping (which leaves `$` alone): every
// expansion is braced, `${x}`, never `$x`.
const std::string& bootstrap_script();

// {"/bin/sh", "-c", script, "tether", marker, sha256, size, timeout, glibc,
//  interpreter, portable sha256, portable size, raw|gzip, K=V...}; "-" for
// what does not apply.
std::vector<std::string> bootstrap_argv(const BootstrapPlan& plan);

// `word` quoted for a POSIX shell.
std::string shell_quote(std::string_view word);
// Each word quoted, joined by spaces: one command line for `sh -c`.
std::string shell_join(const std::vector<std::string>& words);

}  // namespace tether::detail
