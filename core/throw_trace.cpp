#include "core/throw_trace.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>

namespace tether::detail {
namespace {

constexpr int kMaxFrames = 48;

thread_local bool t_recording = false;
thread_local void* t_frames[kMaxFrames];
thread_local int t_frame_count = 0;

std::string demangle_frame(const char* line) {
    // "binary(mangled+0x1f) [0x...]": demangle the part in parentheses.
    std::string s(line);
    auto open = s.find('(');
    auto plus = s.find('+', open == std::string::npos ? 0 : open);
    if (open == std::string::npos || plus == std::string::npos || plus == open + 1) {
        return s;
    }
    std::string mangled = s.substr(open + 1, plus - open - 1);
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
        abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), std::free);
    if (status != 0 || !name) {
        return s;
    }
    return s.substr(0, open + 1) + name.get() + s.substr(plus);
}

}  // namespace

ThrowTraceScope::ThrowTraceScope() {
    t_recording = true;
    t_frame_count = 0;
}

ThrowTraceScope::~ThrowTraceScope() {
    t_recording = false;
}

std::string last_throw_trace() {
    if (t_frame_count <= 0) {
        return {};
    }
    std::unique_ptr<char*, void (*)(void*)> symbols(backtrace_symbols(t_frames, t_frame_count),
                                                    std::free);
    if (!symbols) {
        return {};
    }
    std::string out;
    // Frame 0 is record_throw itself.
    for (int i = 1; i < t_frame_count; ++i) {
        out += "  #" + std::to_string(i - 1) + " " + demangle_frame(symbols.get()[i]) + "\n";
    }
    return out;
}

void record_throw() noexcept {
    if (t_recording) {
        t_frame_count = backtrace(t_frames, kMaxFrames);
    }
}

}  // namespace tether::detail
