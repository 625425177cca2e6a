#include "parent/bootstrap_session.hpp"

#include "parent/marker_line.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>

#include "core/broker_impl.hpp"
#include "core/log.hpp"
#include "core/no_sigpipe.hpp"

namespace tether::detail {
namespace {

constexpr const char* kLog = "tether.bootstrap";
// Output without a newline is cut into lines of this size.
constexpr std::size_t kMaxLine = 64 * 1024;

int duplicate(int fd) {
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) {
        throw std::runtime_error(std::string("cannot duplicate the stream: ") +
                                 std::strerror(errno));
    }
    return copy;
}

}  // namespace

BootstrapSession::BootstrapSession(BrokerImpl& broker, int fd, BootstrapPlan plan,
                                   std::shared_ptr<PasswordDialog> dialog, bool dialog_on_stream,
                                   Events events)
    : stream_(broker.io(), duplicate(fd)),
      plan_(std::move(plan)),
      dialog_(std::move(dialog)),
      dialog_on_stream_(dialog_on_stream && dialog_ != nullptr),
      events_(std::move(events)),
      phase_(dialog_ ? "auth" : "shell") {
    stream_.non_blocking(true);
}

BootstrapSession::~BootstrapSession() {
    close_stream();
}

void BootstrapSession::start() {
    events_.phase(phase_);
    arm_read();
}

void BootstrapSession::stop() {
    done_ = true;
    close_stream();
}

void BootstrapSession::close_stream() {
    if (!stream_.is_open()) {
        return;
    }
    // release(), not close(): the original fd keeps the file open, so epoll
    // would keep this registration unless it is removed explicitly.
    boost::system::error_code ignored;
    stream_.cancel(ignored);
    ::close(stream_.release());
}

void BootstrapSession::arm_read() {
    stream_.async_read_some(
        boost::asio::buffer(buffer_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            if (self->done_) {
                return;
            }
            if (ec) {
                // A terminal's master side reads EIO once the other side closed.
                bool eof = ec == boost::asio::error::eof || ec == boost::system::errc::io_error;
                self->fail(eof ? "the target closed the stream"
                               : "reading the stream failed: " + ec.message());
                return;
            }
            self->on_data(n);
        });
}

void BootstrapSession::on_data(std::size_t size) {
    if (!take_lines(text_, std::string_view(buffer_, size), kMaxLine,
                    [this](std::string line) { return on_line(std::move(line)); })) {
        return;
    }
    if (dialog_on_stream_ && !text_.empty()) {
        PasswordDialog::Step step = dialog_->on_pending(text_);
        if (step.kind == PasswordDialog::Step::fail) {
            fail(step.failure, true);
            return;
        }
        if (step.kind == PasswordDialog::Step::answer) {
            answer_prompt();
        }
    }
    arm_read();
}

void BootstrapSession::answer_prompt() {
    dialog_->write_answer(stream_.native_handle());
    TETHER_LOG(LogLevel::debug, kLog, "answered the password prompt");
}

bool BootstrapSession::on_line(std::string line) {
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    if (std::optional<MarkerLine> m = parse_marker_line(line, plan_.marker)) {
        // Output without a final newline (a login shell's) may run into it.
        if (!m->before.empty()) {
            events_.output(m->before);
        }
        return on_marker(m->word, m->rest);
    }
    events_.output(line);
    if (dialog_on_stream_) {
        PasswordDialog::Step step = dialog_->on_line(line);
        if (step.kind == PasswordDialog::Step::fail) {
            fail(step.failure, true);
            return false;
        }
    }
    return true;
}

bool BootstrapSession::on_marker(const std::string& word, const std::string& rest) {
    if (word == "START") {
        if (dialog_) {
            dialog_->finish();
        }
        enter("bootstrap");
        return true;
    }
    if (word == "HAVE") {
        // Connection logs "the program runs (cached)" once it announces itself.
        enter("exec");
        return true;
    }
    if (word == "SEND") {
        // "<sha256> raw|gzip": which image, and how.
        auto space = rest.find(' ');
        const ProgramImage* image = image_named(plan_, rest.substr(0, space));
        std::string how = space == std::string::npos ? "" : rest.substr(space + 1);
        if (image == nullptr || (how != "raw" && (how != "gzip" || !plan_.compress))) {
            fail("protocol error: the bootstrap asked for '" + rest + "'", true);
            return false;
        }
        enter("upload");
        upload(*image, how == "gzip");
        return true;
    }
    if (word == "GOT") {
        enter("exec");
        return true;
    }
    if (word == "FAIL") {
        // "<phase>: <why>", from the script itself.
        ScriptFailure failure = parse_script_failure(rest);
        phase_ = failure.phase;
        fail(failure.why);
        return false;
    }
    if (word == "RUN") {
        // The program writes nothing more before its configuration arrives.
        done_ = true;
        close_stream();
        enter("handshake");
        events_.ready();
        return false;
    }
    fail("protocol error: unknown bootstrap marker '" + word + "'", true);
    return false;
}

void BootstrapSession::upload(const ProgramImage& image, bool gzip) {
    if (gzip && !image.gzip_ready()) {
        // Compressed on a worker; back here when done. The worker keeps no
        // reference: if this session was dropped meanwhile, nothing happens.
        std::weak_ptr<BootstrapSession> weak = shared_from_this();
        image.gzip_in_background([weak, executor = stream_.get_executor(), &image] {
            if (auto self = weak.lock()) {
                boost::asio::post(executor, [self = std::move(self), &image] {
                    if (self->done_) {
                        return;
                    }
                    if (!image.gzip_ready()) {
                        self->fail("compressing the program failed (see the log)", true);
                        return;
                    }
                    self->upload(image, true);
                });
            }
        });
        return;
    }
    if (gzip) {
        const std::vector<unsigned char>& bytes = image.gzipped();
        upload_head_ = std::to_string(bytes.size()) + "\n";
        upload_body_ = {bytes.data(), bytes.size()};
    } else {
        upload_body_ = {image.data, image.size};
    }
    TETHER_LOG(LogLevel::debug, kLog, "sending the program (", image.size, " bytes",
               gzip ? ", " + std::to_string(upload_body_.size()) + " gzipped" : std::string(),
               image.interpreter.empty() ? ", static" : "", ")");
    upload_some();
}

// Not asio::async_write: its writev raises SIGPIPE when the child's end is
// gone, and that would kill this whole process.
void BootstrapSession::upload_some() {
    stream_.async_wait(
        boost::asio::posix::stream_descriptor::wait_write,
        [self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec || self->done_) {
                return;
            }
            std::size_t head = self->upload_head_.size();
            std::size_t total = head + self->upload_body_.size();
            const void* from =
                self->uploaded_ < head
                    ? static_cast<const void*>(self->upload_head_.data() + self->uploaded_)
                    : self->upload_body_.data() + (self->uploaded_ - head);
            std::size_t length =
                self->uploaded_ < head ? head - self->uploaded_ : total - self->uploaded_;
            ssize_t n = write_without_sigpipe(self->stream_.native_handle(), from, length);
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                self->fail("sending the program failed after " + std::to_string(self->uploaded_) +
                               " bytes: " + std::strerror(errno),
                           true);
                return;
            }
            self->uploaded_ += static_cast<std::uint64_t>(std::max<ssize_t>(n, 0));
            if (self->uploaded_ < total) {
                self->upload_some();
            }
        });
}

void BootstrapSession::enter(const std::string& phase) {
    phase_ = phase;
    events_.phase(phase_);
}

void BootstrapSession::fail(const std::string& why, bool kill) {
    if (done_) {
        return;
    }
    done_ = true;
    close_stream();
    events_.fail("phase '" + phase_ + "': " + why, kill);
}

}  // namespace tether::detail
