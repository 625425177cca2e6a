// Reads text lines from a pipe on the broker thread: a child's stderr in the
// parent, a child's own stdout in the child. drain() may also be called from
// another thread to take what is already there (the dispatcher does, so a
// call's output is forwarded before its reply). Resource: shared_ptr-owned.
#pragma once

#include <boost/asio/posix/stream_descriptor.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace tether::detail {

class BrokerImpl;

class LineReader : public std::enable_shared_from_this<LineReader> {
  public:
    using OnLine = std::function<void(const std::string& line)>;
    using OnEof = std::function<void()>;
    // The unterminated end of what was read so far (a password prompt).
    using OnPartial = std::function<void(const std::string& pending)>;

    // Takes ownership of `fd`, made non-blocking here.
    LineReader(BrokerImpl& broker, int fd, OnLine on_line, OnEof on_eof = {});
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    // Broker thread.
    void start();
    void stop();

    // Any thread: forwards every complete line available now.
    void drain();

    // Before start().
    void set_on_partial(OnPartial on_partial) { on_partial_ = std::move(on_partial); }
    int native_handle() { return pipe_.native_handle(); }

  private:
    void arm();
    // mutex_ held. Returns false at EOF or error.
    bool read_available();

    boost::asio::posix::stream_descriptor pipe_;
    std::mutex mutex_;
    std::string partial_;
    bool eof_ = false;
    OnLine on_line_;
    OnEof on_eof_;
    OnPartial on_partial_;
};

}  // namespace tether::detail
