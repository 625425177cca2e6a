// One connection to another context: frames in, frames out, over a socket, a
// terminal, or a pair of pipes (a child under sshd reads stdin and writes
// stdout). Reading happens on the broker thread. Writing may happen
// on any thread: a sender writes straight to the kernel when nothing is
// queued ahead of it (sparing a wake-up of the broker thread per message) and
// leaves the rest to the broker, which flushes when the socket is writable.
// Resource: owned by shared_ptr (the router and in-flight handlers).
#pragma once

#include <atomic>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/frame_reader.hpp"
#include "core/message.hpp"

namespace tether::detail {

class BrokerImpl;
class Stream;

// Receives what a stream reads. Called on the broker thread.
class StreamOwner {
  public:
    virtual ~StreamOwner() = default;
    virtual void on_message(Stream& stream, Message message) = 0;
    // Called once, after the stream closed (EOF, error, malformed input, or
    // close()). `reason` says which.
    virtual void on_closed(Stream& stream, const std::string& reason) = 0;
};

// While one is alive on a thread, that thread's writes to streams are queued
// and leave together when it ends: one system call for a run of replies. A
// child's dispatcher holds one while more calls wait behind the current one.
// Thread safety: one thread (the one that made it).
class WriteBatch {
  public:
    WriteBatch();
    // Flushes every stream written to meanwhile.
    ~WriteBatch();
    WriteBatch(const WriteBatch&) = delete;
    WriteBatch& operator=(const WriteBatch&) = delete;

    static WriteBatch* current() noexcept;

    // Lets this thread's writes through at once for the scope's lifetime
    // (user code running inside a batch may send a request and wait for
    // its answer). What is held stays held, in order, and leaves first.
    class Suspend {
      public:
        Suspend();
        ~Suspend();
        Suspend(const Suspend&) = delete;
        Suspend& operator=(const Suspend&) = delete;

      private:
        WriteBatch* suspended_;
    };
    void hold(std::shared_ptr<Stream> stream);

  private:
    std::vector<std::shared_ptr<Stream>> streams_;
    WriteBatch* previous_;
};

class Stream : public std::enable_shared_from_this<Stream> {
  public:
    // Takes ownership of `fd` (a connected socket, or a terminal), made
    // non-blocking here. With `write_fd` (another file: pipes), reads come
    // from `fd` and writes go to `write_fd`, owned as well.
    Stream(BrokerImpl& broker, int fd, std::string name, std::size_t max_message_size,
           int write_fd = -1);
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // Broker thread: starts reading, delivering to `owner` (which outlives
    // the stream's reading, or calls set_owner(nullptr) first).
    void start(StreamOwner* owner);
    void set_owner(StreamOwner* owner) noexcept { owner_ = owner; }

    // Any thread. Queues or writes the message; false if the stream is closed.
    bool write(Message message);

    // Any thread: waits until everything queued has reached the kernel (or
    // the stream closed). False on timeout.
    bool wait_flushed(std::chrono::milliseconds timeout);

    // Any thread: closes the stream; the owner hears `reason` once.
    void close(const std::string& reason);
    bool closed() const;

    const std::string& name() const noexcept { return name_; }
    // Logs every message on this stream, whatever the global level (a
    // context started with `debug`).
    void set_debug(bool debug) noexcept { debug_ = debug; }
    void set_name(std::string name) { name_ = std::move(name); }

    // The context at the far end, once known.
    std::uint32_t remote_id = 0;
    // Contexts this stream's far end has sent to through us (broker thread):
    // they hear of it when one of those contexts is lost.
    std::set<std::uint32_t> egress;

    // Any thread: writes what is queued now (unless the broker already waits
    // to do so).
    void flush();

    // Test and fault-injection hook: writes raw bytes as they are.
    bool write_raw(std::string bytes);

  private:
    struct OutFrame {
        HeaderBytes header;
        std::size_t header_len;  // 0 for raw bytes
        std::string payload;
        std::size_t sent = 0;  // bytes of header+payload already written
    };

    void arm_read();
    void on_read(const boost::system::error_code& ec, std::size_t n);
    void deliver(Message message);
    void log_io(const char* direction, const Message& message) const;
    // Queues a frame, then writes unless a WriteBatch holds it back; false if
    // the stream is closed.
    bool enqueue(OutFrame frame);
    void flush_locked();
    void arm_write();
    void close_on_broker(const std::string& reason);

    // How the write side is written: sendmsg without SIGPIPE on sockets,
    // writev on a terminal (a closed one answers EIO, never SIGPIPE), and
    // writev with SIGPIPE held back on a pipe.
    enum class Kind { socket, terminal, pipe };
    static Kind kind_of(int fd);
    boost::asio::posix::stream_descriptor& writer() { return writer_ ? *writer_ : socket_; }

    BrokerImpl& broker_;
    boost::asio::posix::stream_descriptor socket_;  // reads, and writes unless writer_
    std::optional<boost::asio::posix::stream_descriptor> writer_;
    bool read_is_socket_ = true;
    Kind write_kind_ = Kind::socket;
    std::string name_;
    StreamOwner* owner_ = nullptr;
    bool debug_ = false;

    // Read side: broker thread only.
    FrameReader reader_;

    // Write side.
    mutable std::mutex write_mutex_;
    std::condition_variable drained_;
    std::deque<OutFrame> out_;
    bool write_armed_ = false;
    // Written under write_mutex_; read without it on the broker's read path,
    // which would otherwise wait for a sender's sendmsg on every message.
    std::atomic<bool> closed_{false};
    bool close_reported_ = false;
};

}  // namespace tether::detail
