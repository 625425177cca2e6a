#include "parent/connection.hpp"

#include <unistd.h>

#include <csignal>

#include "core/log.hpp"
#include "core/secret_scope.hpp"

namespace tether::detail {
namespace {

constexpr const char* kLog = "tether.connection";
constexpr std::size_t kLastLines = 100;
// After SHUTDOWN, how long a child gets to exit by itself before SIGTERM, and
// how long after SIGTERM before SIGKILL.
constexpr auto kShutdownGrace = std::chrono::milliseconds(3000);
constexpr auto kTermGrace = std::chrono::milliseconds(2000);
// After the stream is lost without a SHUTDOWN: the child normally exits at once.
constexpr auto kLostGrace = std::chrono::milliseconds(1000);
// After the stream ends, how long the loss waits for the exit status that
// says how (a process that died closes its stream a moment before it can be
// reaped; an SSH server sends the status after the channel's last data).
constexpr auto kExitStatusWait = std::chrono::milliseconds(500);
// How long a failed start waits for the child's last words and its exit.
constexpr auto kFailingGrace = std::chrono::milliseconds(2000);

}  // namespace

Connection::Connection(RouterCore& core, BootConfig boot, SpawnedChild child,
                       std::chrono::milliseconds connect_timeout)
    : core_(core),
      core_ref_(core.shared_from_this()),
      boot_(std::move(boot)),
      connect_timeout_(connect_timeout),
      process_(child.handle ? child.handle
                            : std::make_shared<ChildProcess>(core.broker(), child.pid)),
      stream_(std::make_shared<Stream>(core.broker(), child.protocol_fd, boot_.name,
                                       core.options().max_message_size)),
      connect_timer_(core.broker().io()),
      escalate_timer_(core.broker().io()),
      failing_timer_(core.broker().io()),
      exit_wait_timer_(core.broker().io()),
      redact_(std::move(child.redact)) {
    if (child.bootstrap) {
        BootstrapSession::Events events;
        events.phase = [this](const std::string& phase) { phase_ = phase; };
        events.output = [this](const std::string& line) { on_stderr_line(line); };
        events.ready = [this] { begin_handshake(); };
        events.fail = [this](const std::string& reason, bool kill) { fail(reason, kill); };
        bootstrap_ = std::make_shared<BootstrapSession>(core.broker(), child.protocol_fd,
                                                        std::move(*child.bootstrap), child.dialog,
                                                        child.dialog_on_stream, std::move(events));
        if (!child.dialog_on_stream) {
            stderr_dialog_ = child.dialog;
        }
    }
    if (child.stderr_fd >= 0) {
        stderr_ = std::make_shared<LineReader>(
            core.broker(), child.stderr_fd,
            [this](const std::string& line) { on_stderr_line(line); },
            [this] {
                stderr_eof_ = true;
                finish_if_done();
            });
        if (stderr_dialog_) {
            stderr_->set_on_partial(
                [this](const std::string& pending) { on_stderr_pending(pending); });
        }
    } else {
        stderr_eof_ = true;
    }
}

Connection::~Connection() = default;

void Connection::start() {
    TETHER_ASSERT_BROKER_THREAD(core_.broker());
    core_.add_link(boot_.context_id, boot_.name, shared_from_this());
    self_ = shared_from_this();
    stream_->set_debug(boot_.debug);
    if (bootstrap_) {
        bootstrap_->start();
    } else {
        begin_handshake();
    }
    if (stderr_) {
        stderr_->start();
    }
    ChildHandle::Events events;
    events.exit = [self = self_] { self->on_exit(); };
    events.phase = [self = self_](const std::string& phase) { self->phase_ = phase; };
    events.fail = [self = self_](const std::string& reason) {
        self->fail("phase '" + self->phase_ + "': " + reason, true);
    };
    events.output = [self = self_](const std::string& line) { self->on_stderr_line(line); };
    process_->watch(std::move(events));
    connect_timer_.expires_after(connect_timeout_);
    connect_timer_.async_wait([self = self_](const boost::system::error_code& ec) {
        if (!ec && self->state_ == State::connecting) {
            self->fail("connect timeout after " + std::to_string(self->connect_timeout_.count()) +
                           " ms in phase '" + self->phase_ + "': the child (" +
                           self->process_->describe() + ") never got further",
                       true);
        }
    });
    TETHER_LOG(LogLevel::debug, kLog, boot_.name, ": started ", process_->describe(), ", phase ",
               phase_);
}

void Connection::begin_handshake() {
    phase_ = "handshake";
    if (bootstrap_) {
        TETHER_LOG(LogLevel::debug, kLog, boot_.name, ": the program runs (",
                   bootstrap_->uploaded() > 0
                       ? "sent " + std::to_string(bootstrap_->uploaded()) + " bytes"
                       : std::string("cached"),
                   ")");
    }
    Message boot;
    boot.header.dst = boot_.context_id;
    boot.header.src = core_.id();
    boot.header.auth = core_.id();
    boot.header.handle = kBoot;
    boot.payload = encode(boot_);
    stream_->start(this);
    stream_->write(std::move(boot));
}

void Connection::on_stderr_pending(const std::string& pending) {
    if (state_ == State::connecting) {
        apply(stderr_dialog_->on_pending(pending), stderr_->native_handle());
    }
}

void Connection::apply(const PasswordDialog::Step& step, int fd) {
    if (step.kind == PasswordDialog::Step::fail) {
        fail("phase '" + phase_ + "': " + step.failure, true);
    } else if (step.kind == PasswordDialog::Step::answer) {
        stderr_dialog_->write_answer(fd);
        TETHER_LOG(LogLevel::debug, kLog, boot_.name, ": answered the password prompt");
    }
}

ContextRef Connection::wait_connected() {
    std::unique_lock lock(result_mutex_);
    result_ready_.wait(lock, [&] { return has_result_; });
    if (error_) {
        throw *error_;
    }
    return core_.ref(boot_.context_id, boot_.name);
}

void Connection::set_result(std::optional<ConnectError> error) {
    {
        std::lock_guard lock(result_mutex_);
        has_result_ = true;
        error_ = std::move(error);
    }
    result_ready_.notify_all();
}

void Connection::on_message(Stream& stream, Message m) {
    TETHER_ASSERT_BROKER_THREAD(core_.broker());
    if (state_ == State::connected) {
        core_.on_message(stream, std::move(m));
        return;
    }
    if (state_ != State::connecting) {
        return;
    }
    if (m.header.handle != kBootAck || m.header.src != boot_.context_id) {
        fail("protocol error in phase 'handshake': unexpected message (" + describe(m) + ")",
             false);
        return;
    }
    try {
        decode<BootAck>(m.payload);
    } catch (const std::exception& e) {
        fail(std::string("protocol error in phase 'handshake': ") + e.what(), false);
        return;
    }
    connect_timer_.cancel();
    state_ = State::connected;
    core_.attach_child(boot_.context_id, boot_.name, stream_);
    TETHER_LOG(LogLevel::debug, kLog, boot_.name, ": connected");
    set_result(std::nullopt);
}

void Connection::on_closed(Stream&, const std::string& reason) {
    TETHER_ASSERT_BROKER_THREAD(core_.broker());
    if (state_ == State::connecting) {
        fail("the child closed its stream in phase '" + phase_ + "' (" + reason + ")", false);
        return;
    }
    if (state_ != State::connected) {
        return;
    }
    state_ = State::lost;
    lost_reason_ = reason;
    // The far end went away: its exit status, which says how, normally
    // follows within a moment. A stream we closed ourselves is reported now.
    if (process_->exited() || (reason != "EOF" && reason.rfind("read failed", 0) != 0)) {
        report_lost();
    } else {
        exit_wait_timer_.expires_after(kExitStatusWait);
        exit_wait_timer_.async_wait([self = self_](const boost::system::error_code& ec) {
            if (!ec) {
                self->report_lost();
            }
        });
    }
    if (!process_->exited() && !shutting_down_) {
        escalate(kLostGrace, SIGTERM);
    }
    finish_if_done();
}

void Connection::report_lost() {
    if (lost_reported_) {
        return;
    }
    lost_reported_ = true;
    exit_wait_timer_.cancel();
    std::string why =
        "context " + boot_.name + " " +
        (process_->exited() ? process_->describe_status() : "disconnected: " + lost_reason_);
    core_.child_stream_lost(*stream_, why);
}

void Connection::fail(std::string reason, bool killed) {
    if (state_ != State::connecting) {
        return;
    }
    state_ = State::failing;
    failure_ = std::move(reason);
    failure_killed_ = killed;
    connect_timer_.cancel();
    if (bootstrap_) {
        bootstrap_->stop();
    }
    stream_->set_owner(nullptr);
    stream_->close("start failed");
    if (killed) {
        process_->signal(SIGKILL);
    }
    // Give the child's last words and its exit status a moment to arrive.
    failing_timer_.expires_after(kFailingGrace);
    failing_timer_.async_wait([self = self_](const boost::system::error_code& ec) {
        if (!ec && self->state_ == State::failing) {
            self->process_->signal(SIGKILL);
            self->stderr_eof_ = true;
            self->finish_if_done();
        }
    });
    finish_if_done();
}

void Connection::on_exit() {
    TETHER_LOG(LogLevel::debug, kLog, boot_.name, ": ", process_->describe(), " ",
               process_->describe_status());
    escalate_timer_.cancel();
    if (state_ == State::connecting && bootstrap_ && phase_ != "handshake") {
        // The bootstrap's last words (a FAIL line) may still be on the
        // stream, which ends now: the session reports, with this status.
        return;
    }
    if (state_ == State::connecting) {
        // Exit before the stream closed (it will): report it as the cause.
        fail("the child " + process_->describe_status() + " in phase '" + phase_ + "'", false);
        return;
    }
    if (state_ == State::connected) {
        stream_->close("process " + process_->describe_status());
    } else if (state_ == State::lost) {
        report_lost();
    }
    finish_if_done();
}

void Connection::on_stderr_line(const std::string& text) {
    if (stderr_dialog_ && state_ == State::connecting) {
        apply(stderr_dialog_->on_line(text), -1);
    }
    std::string line = redact(text, redact_);
    last_lines_.push_back(line);
    if (last_lines_.size() > kLastLines) {
        last_lines_.pop_front();
    }
    core_.log_from(boot_.context_id, 2, "stderr", line);
}

std::string Connection::last_lines() const {
    std::string out;
    for (const auto& line : last_lines_) {
        out += line;
        out += '\n';
    }
    return out;
}

void Connection::escalate(std::chrono::milliseconds after, int signal) {
    escalate_timer_.expires_after(after);
    escalate_timer_.async_wait([self = self_, signal](const boost::system::error_code& ec) {
        if (ec || self->process_->exited()) {
            return;
        }
        TETHER_LOG(LogLevel::warning, kLog, self->boot_.name, ": ", self->process_->describe(),
                   " did not exit in time; sending ", signal == SIGKILL ? "SIGKILL" : "SIGTERM");
        self->process_->signal(signal);
        if (signal != SIGKILL) {
            self->escalate(kTermGrace, SIGKILL);
        }
    });
}

void Connection::begin_shutdown() {
    TETHER_ASSERT_BROKER_THREAD(core_.broker());
    switch (state_) {
        case State::connecting:
            fail("shut down in phase '" + phase_ + "'", true);
            return;
        case State::connected: {
            if (shutting_down_) {
                return;
            }
            shutting_down_ = true;
            Message m;
            m.header.dst = boot_.context_id;
            m.header.src = core_.id();
            m.header.auth = core_.id();
            m.header.handle = kShutdown;
            stream_->write(std::move(m));
            escalate(kShutdownGrace, SIGTERM);
            return;
        }
        case State::lost:
            shutting_down_ = true;
            return;
        default:
            return;
    }
}

void Connection::abort() {
    shutting_down_ = true;
    if (state_ == State::connecting) {
        fail("aborted in phase '" + phase_ + "'", true);
        return;
    }
    stream_->close("aborted");
    process_->signal(SIGKILL);
}

void Connection::release() {
    bool had_result;
    {
        std::lock_guard lock(result_mutex_);
        had_result = has_result_;
    }
    if (!had_result) {
        set_result(ConnectError(boot_.name, "the router shut down in phase '" + phase_ + "'"));
    }
    state_ = State::done;
    connect_timer_.cancel();
    escalate_timer_.cancel();
    failing_timer_.cancel();
    exit_wait_timer_.cancel();
    if (bootstrap_) {
        bootstrap_->stop();
    }
    stream_->set_owner(nullptr);
    stream_->close("released");
    if (stderr_) {
        stderr_->stop();
    }
    process_->kill_and_reap();
    self_.reset();
}

void Connection::finish_if_done() {
    TETHER_ASSERT_BROKER_THREAD(core_.broker());
    if (!process_->exited()) {
        return;
    }
    if (state_ == State::failing) {
        if (!stderr_eof_) {
            return;  // its last lines may still be in the pipe
        }
        failing_timer_.cancel();
        state_ = State::done;
        if (stderr_) {
            stderr_->stop();
        }
        std::string reason = redact(failure_, redact_);
        if (!failure_killed_ && reason.find(process_->describe_status()) == std::string::npos) {
            reason += "; the child " + process_->describe_status();
        }
        for (const auto& line : last_lines_) {
            // The loader's words for a C or C++ library older than the
            // build's ("version `GLIBCXX_3.4.30' not found"): a cached
            // program that the bootstrap's own glibc check did not see.
            bool too_old = line.find("version `GLIBC") != std::string::npos &&
                           line.find("not found") != std::string::npos;
            if (too_old || line.find("error while loading shared libraries") != std::string::npos ||
                line.find("Exec format error") != std::string::npos) {
                reason += "; the program cannot run on the target: " + line;
                if (too_old) {
                    reason += "; build with TETHER_PORTABLE";
                }
                break;
            }
        }
        TETHER_LOG(LogLevel::debug, kLog, boot_.name, ": start failed: ", reason);
        set_result(ConnectError(boot_.name, reason, last_lines()));
        core_.child_gone(boot_.context_id);
        self_.reset();
        return;
    }
    if (state_ == State::lost) {
        report_lost();
        state_ = State::done;
        escalate_timer_.cancel();
        if (stderr_) {
            stderr_->drain();
            stderr_->stop();
        }
        core_.child_gone(boot_.context_id);
        self_.reset();
    }
}

}  // namespace tether::detail
