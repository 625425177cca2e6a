#include "core/stream.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/broker_impl.hpp"
#include "core/log.hpp"
#include "core/no_sigpipe.hpp"

namespace tether::detail {
namespace {

constexpr int kMaxIov = 64;
// A batch holds back at most this many frames per stream (one sendmsg's worth).
constexpr std::size_t kMaxBatchedFrames = kMaxIov / 2;

thread_local WriteBatch* t_batch = nullptr;

}  // namespace

WriteBatch::WriteBatch() : previous_(t_batch) {
    t_batch = this;
}

WriteBatch::~WriteBatch() {
    t_batch = previous_;
    for (auto& stream : streams_) {
        stream->flush();
    }
}

WriteBatch* WriteBatch::current() noexcept {
    return t_batch;
}

WriteBatch::Suspend::Suspend() : suspended_(t_batch) {
    t_batch = nullptr;
}

WriteBatch::Suspend::~Suspend() {
    t_batch = suspended_;
}

void WriteBatch::hold(std::shared_ptr<Stream> stream) {
    for (const auto& s : streams_) {
        if (s == stream) {
            return;
        }
    }
    streams_.push_back(std::move(stream));
}

void Stream::flush() {
    std::lock_guard lock(write_mutex_);
    if (!closed_ && !write_armed_) {
        flush_locked();
    }
}

Stream::Kind Stream::kind_of(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISSOCK(st.st_mode)) {
        return Kind::socket;
    }
    return S_ISFIFO(st.st_mode) ? Kind::pipe : Kind::terminal;
}

Stream::Stream(BrokerImpl& broker, int fd, std::string name, std::size_t max_message_size,
               int write_fd)
    : broker_(broker), socket_(broker.io(), fd), name_(std::move(name)), reader_(max_message_size) {
    socket_.non_blocking(true);
    read_is_socket_ = kind_of(fd) == Kind::socket;
    write_kind_ = kind_of(fd);
    if (write_fd >= 0 && write_fd != fd) {
        writer_.emplace(broker.io(), write_fd);
        writer_->non_blocking(true);
        write_kind_ = kind_of(write_fd);
    }
}

Stream::~Stream() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (writer_) {
        writer_->close(ignored);
    }
}

void Stream::start(StreamOwner* owner) {
    owner_ = owner;
    arm_read();
}

bool Stream::closed() const {
    return closed_.load(std::memory_order_acquire);
}

// Reads with async_read_some, not async_wait + read: Asio tries the read at
// once and, when it finds nothing, waits for the descriptor's next edge as it
// is registered. async_wait re-arms the descriptor with an epoll_ctl every
// time, and a read loop then ends with one more read that returns EAGAIN: one
// system call per message saved.
void Stream::arm_read() {
    boost::asio::mutable_buffer into = boost::asio::buffer(reader_.space(), reader_.space_size());
    socket_.async_read_some(
        into, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            self->on_read(ec, n);
        });
}

void Stream::on_read(const boost::system::error_code& ec, std::size_t n) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    if (ec == boost::asio::error::operation_aborted || closed()) {
        return;
    }
    // A terminal's master side reads EIO once the other side is closed.
    if (ec == boost::asio::error::eof ||
        (ec == boost::system::errc::io_error && !read_is_socket_)) {
        close_on_broker("EOF");
        return;
    }
    if (ec) {
        close_on_broker("read failed: " + ec.message());
        return;
    }
    std::optional<std::string> bad = reader_.received(n, [this](Message&& m) {
        deliver(std::move(m));
        return !closed();
    });
    if (bad) {
        TETHER_LOG(LogLevel::error, "tether.stream", name_, ": closing: ", *bad);
        close_on_broker(*bad);
        return;
    }
    if (!closed()) {
        arm_read();
    }
}

void Stream::log_io(const char* direction, const Message& m) const {
    // Log records themselves are never logged as traffic: that would recurse.
    if ((debug_ || io_logging()) && m.header.handle != kForwardLog) {
        log_line(LogLevel::debug, "tether.io", str(name_, direction, describe(m)));
    }
}

void Stream::deliver(Message m) {
    log_io(" <- ", m);
    if (owner_ != nullptr) {
        owner_->on_message(*this, std::move(m));
    }
}

bool Stream::write(Message m) {
    log_io(" -> ", m);
    return enqueue(OutFrame{encode_header(m), kHeaderSize, std::move(m.payload), 0});
}

bool Stream::write_raw(std::string bytes) {
    return enqueue(OutFrame{HeaderBytes{}, 0, std::move(bytes), 0});
}

bool Stream::enqueue(OutFrame frame) {
    std::lock_guard lock(write_mutex_);
    if (closed_) {
        return false;
    }
    out_.push_back(std::move(frame));
    if (WriteBatch* batch = WriteBatch::current();
        batch != nullptr && out_.size() < kMaxBatchedFrames) {
        batch->hold(shared_from_this());
        return true;
    }
    if (!write_armed_) {
        flush_locked();
    }
    return true;
}

void Stream::flush_locked() {
    int fd = writer().native_handle();
    while (!out_.empty()) {
        iovec iov[kMaxIov];
        int count = 0;
        for (auto it = out_.begin(); it != out_.end() && count + 2 <= kMaxIov; ++it) {
            std::size_t sent = it->sent;
            if (sent < it->header_len) {
                iov[count++] = {it->header.data() + sent, it->header_len - sent};
                sent = it->header_len;
            }
            std::size_t body = sent - it->header_len;
            if (body < it->payload.size()) {
                iov[count++] = {it->payload.data() + body, it->payload.size() - body};
            }
        }
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<std::size_t>(count);
        ssize_t n = write_kind_ == Kind::socket ? ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT)
                    : write_kind_ == Kind::pipe ? writev_without_sigpipe(fd, iov, count)
                                                : ::writev(fd, iov, count);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                arm_write();
                return;
            }
            std::string reason = std::string("write failed: ") + std::strerror(errno);
            out_.clear();
            // Reported from the broker thread, which owns the read side.
            try {
                broker_.post(
                    [self = shared_from_this(), reason] { self->close_on_broker(reason); });
            } catch (const std::exception&) {
            }
            return;
        }
        auto left = static_cast<std::size_t>(n);
        while (left > 0) {
            OutFrame& f = out_.front();
            std::size_t rest = f.header_len + f.payload.size() - f.sent;
            if (left >= rest) {
                left -= rest;
                out_.pop_front();
            } else {
                f.sent += left;
                left = 0;
            }
        }
    }
    drained_.notify_all();
}

void Stream::arm_write() {
    write_armed_ = true;
    auto wait = [self = shared_from_this()] {
        self->writer().async_wait(boost::asio::posix::stream_descriptor::wait_write,
                                  [self](const boost::system::error_code& ec) {
                                      std::lock_guard lock(self->write_mutex_);
                                      self->write_armed_ = false;
                                      if (!ec && !self->closed_) {
                                          self->flush_locked();
                                      }
                                  });
    };
    if (broker_.on_broker_thread()) {
        wait();
        return;
    }
    try {
        broker_.post(std::move(wait));
    } catch (const std::exception&) {
        write_armed_ = false;  // broker gone: nothing will flush this stream
    }
}

bool Stream::wait_flushed(std::chrono::milliseconds timeout) {
    std::unique_lock lock(write_mutex_);
    return drained_.wait_for(lock, timeout, [&] { return out_.empty() || closed_; });
}

void Stream::close(const std::string& reason) {
    if (broker_.on_broker_thread()) {
        close_on_broker(reason);
        return;
    }
    try {
        broker_.post([self = shared_from_this(), reason] { self->close_on_broker(reason); });
    } catch (const std::exception&) {
        std::lock_guard lock(write_mutex_);
        closed_ = true;
        out_.clear();
    }
}

void Stream::close_on_broker(const std::string& reason) {
    TETHER_ASSERT_BROKER_THREAD(broker_);
    {
        std::lock_guard lock(write_mutex_);
        if (close_reported_) {
            return;
        }
        closed_ = true;
        close_reported_ = true;
        out_.clear();
        boost::system::error_code ignored;
        socket_.close(ignored);
        if (writer_) {
            writer_->close(ignored);
        }
    }
    drained_.notify_all();
    reader_.reset();
    TETHER_LOG(LogLevel::debug, "tether.stream", name_, ": closed: ", reason);
    if (owner_ != nullptr) {
        StreamOwner* owner = owner_;
        owner_ = nullptr;
        owner->on_closed(*this, reason);
    }
}

}  // namespace tether::detail
