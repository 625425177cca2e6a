#include "tools/console.hpp"

#include <unistd.h>

#include <cstdio>

namespace tether::cli {
namespace {

void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        ssize_t n = ::write(fd, text.data(), text.size());
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return;  // a closed pipe: nothing more to say there
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace

Console::Console(std::size_t total, bool progress) : total_(total), progress_(progress) {}

void Console::lines(const std::string& name, std::string_view text, bool to_stderr) {
    std::string out;
    while (!text.empty()) {
        auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        out += name;
        out += ": ";
        out += line;
        out += '\n';
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    }
    std::lock_guard lock(mutex_);
    clear_progress();
    write_all(to_stderr ? 2 : 1, out);
    draw_progress();
}

void Console::error(const std::string& name, const std::string& message) {
    print("tether: " + name + ": " + message + "\n", true);
}

void Console::print(const std::string& text, bool to_stderr) {
    std::lock_guard lock(mutex_);
    clear_progress();
    write_all(to_stderr ? 2 : 1, text);
    draw_progress();
}

void Console::finished(bool failed) {
    std::lock_guard lock(mutex_);
    ++done_;
    failed_ += failed;
    clear_progress();
    draw_progress();
}

void Console::close() {
    std::lock_guard lock(mutex_);
    clear_progress();
    progress_ = false;
}

void Console::clear_progress() {
    if (drawn_) {
        write_all(2, "\r\033[K");
        drawn_ = false;
    }
}

void Console::draw_progress() {
    if (!progress_) {
        return;
    }
    char line[96];
    int n = failed_ > 0 ? std::snprintf(line, sizeof line, "[%zu/%zu done, %zu failed]", done_,
                                        total_, failed_)
                        : std::snprintf(line, sizeof line, "[%zu/%zu done]", done_, total_);
    write_all(2, std::string_view(line, static_cast<std::size_t>(n)));
    drawn_ = true;
}

std::string LineBuffer::take(std::string_view more) {
    pending_ += more;
    auto last = pending_.rfind('\n');
    if (last == std::string::npos) {
        return {};
    }
    std::string whole = pending_.substr(0, last + 1);
    pending_.erase(0, last + 1);
    return whole;
}

std::string LineBuffer::rest() {
    if (pending_.empty()) {
        return {};
    }
    std::string r = std::move(pending_) + "\n";
    pending_.clear();
    return r;
}

}  // namespace tether::cli
