#include "core/line_reader.hpp"

#include <unistd.h>

#include <cerrno>

#include "core/broker_impl.hpp"

namespace tether::detail {
namespace {

// A longer "line" is cut, so one runaway writer cannot grow us without bound.
constexpr std::size_t kMaxLine = 64 * 1024;

}  // namespace

LineReader::LineReader(BrokerImpl& broker, int fd, OnLine on_line, OnEof on_eof)
    : pipe_(broker.io(), fd), on_line_(std::move(on_line)), on_eof_(std::move(on_eof)) {
    pipe_.non_blocking(true);
}

LineReader::~LineReader() {
    boost::system::error_code ignored;
    pipe_.close(ignored);
}

void LineReader::start() {
    arm();
}

void LineReader::stop() {
    std::lock_guard lock(mutex_);
    boost::system::error_code ignored;
    pipe_.close(ignored);
    eof_ = true;
}

void LineReader::arm() {
    pipe_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                         if (ec) {
                             return;
                         }
                         bool more;
                         {
                             std::lock_guard lock(self->mutex_);
                             more = self->read_available();
                         }
                         if (more) {
                             self->arm();
                         } else if (self->on_eof_) {
                             self->on_eof_();
                         }
                     });
}

void LineReader::drain() {
    std::lock_guard lock(mutex_);
    if (!eof_) {
        read_available();
    }
}

bool LineReader::read_available() {
    char buffer[16384];
    for (;;) {
        ssize_t n = ::read(pipe_.native_handle(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return true;
        }
        if (n <= 0) {
            if (!partial_.empty()) {
                on_line_(partial_);
                partial_.clear();
            }
            eof_ = true;
            return false;
        }
        partial_.append(buffer, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (std::size_t nl; (nl = partial_.find('\n', start)) != std::string::npos;
             start = nl + 1) {
            on_line_(partial_.substr(start, nl - start));
        }
        partial_.erase(0, start);
        if (partial_.size() > kMaxLine) {
            on_line_(partial_);
            partial_.clear();
        }
        if (on_partial_ && !partial_.empty()) {
            on_partial_(partial_);
        }
    }
}

}  // namespace tether::detail
