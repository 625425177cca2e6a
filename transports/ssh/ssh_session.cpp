#include "transports/ssh/ssh_session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "core/broker_impl.hpp"
#include "core/log.hpp"
#include "core/no_sigpipe.hpp"
#include "parent/exit_status.hpp"
#include "tether/errors.hpp"
#include "transports/ssh/ssh_host_key.hpp"

namespace tether::detail {
namespace {

constexpr const char* kLog = "tether.ssh";
// How much may wait in each direction before we stop reading that side.
constexpr std::size_t kHighWater = 1 << 20;
// Remote stderr beyond this, unread, is dropped.
constexpr std::size_t kErrorsMax = 1 << 20;
// Rounds of the copy loop before other work gets the broker thread.
constexpr int kPumpRounds = 64;

int check_system(int rc, const char* what) {
    if (rc < 0) {
        throw Error(std::string("ssh: ") + what + ": " + std::strerror(errno));
    }
    return rc;
}

bool would_block() {
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

}  // namespace

SshSession::SshSession(BrokerImpl& broker, SshTarget target)
    : broker_(broker),
      api_(libssh()),
      target_(std::move(target)),
      resolver_(broker.io()),
      socket_(broker.io()),
      local_(broker.io()),
      errors_(broker.io()),
      keepalive_timer_(broker.io()) {
    int pair[2];
    check_system(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), "socketpair");
    local_.assign(pair[0]);
    protocol_fd_ = pair[1];
    int pipe[2];
    if (::pipe2(pipe, O_CLOEXEC) != 0) {
        ::close(std::exchange(protocol_fd_, -1));
        check_system(-1, "pipe");
    }
    stderr_fd_ = pipe[0];
    errors_.assign(pipe[1]);
    local_.non_blocking(true);
    errors_.non_blocking(true);
}

SshSession::~SshSession() {
    teardown();
}

int SshSession::take_protocol_fd() {
    return std::exchange(protocol_fd_, -1);
}

int SshSession::take_stderr_fd() {
    return std::exchange(stderr_fd_, -1);
}

// libssh's last error; some failures (a corrupted packet, say) leave it empty.
std::string SshSession::libssh_error() const {
    std::string text = api_.ssh_get_error(session_);
    return text.empty() ? "libssh gave no reason (the connection may have been corrupted)" : text;
}

std::string SshSession::describe() const {
    return "ssh session to " + target_.host + ":" + std::to_string(target_.port);
}

std::string SshSession::describe_status() const {
    return status_;
}

void SshSession::note(const std::string& line) {
    TETHER_LOG(LogLevel::debug, kLog, describe(), ": ", line);
    events_.output(line);
}

void SshSession::watch(Events events) {
    events_ = std::move(events);
    state_ = State::resolving;
    events_.phase("connect");
    note("ssh: connecting to " + target_.host + ":" + std::to_string(target_.port) + " as " +
         target_.credentials.username);
    resolver_.async_resolve(
        target_.host, std::to_string(target_.port),
        [self = shared_from_this()](const boost::system::error_code& ec,
                                    const boost::asio::ip::tcp::resolver::results_type& results) {
            if (self->state_ != State::resolving) {
                return;
            }
            if (ec) {
                self->fail("ssh: cannot resolve " + self->target_.host + ": " + ec.message());
                return;
            }
            self->on_resolved(results);
        });
}

void SshSession::on_resolved(const boost::asio::ip::tcp::resolver::results_type& endpoints) {
    state_ = State::connecting;
    boost::asio::async_connect(
        socket_, endpoints,
        [self = shared_from_this()](const boost::system::error_code& ec,
                                    const boost::asio::ip::tcp::endpoint& endpoint) {
            if (self->state_ != State::connecting) {
                return;
            }
            if (ec) {
                self->fail("ssh: cannot connect to " + self->target_.host + ":" +
                           std::to_string(self->target_.port) + ": " + ec.message());
                return;
            }
            self->note("ssh: TCP connection to " + endpoint.address().to_string() + ":" +
                       std::to_string(endpoint.port()));
            self->on_connected();
        });
}

void SshSession::on_connected() {
    boost::system::error_code ignored;
    socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    session_ = api_.ssh_new();
    if (session_ == nullptr) {
        fail("ssh: cannot create a libssh session");
        return;
    }
    // libssh gets a duplicate of the socket; Asio keeps its own to wait on.
    handed_fd_ = ::fcntl(socket_.native_handle(), F_DUPFD_CLOEXEC, 3);
    unsigned int port = static_cast<unsigned int>(target_.port);
    bool process_config = false;  // ~/.ssh/config is not read: the options say it all
    const char* compression = target_.compression ? "yes" : "no";
    bool ok =
        handed_fd_ >= 0 && api_.ssh_options_set(session_, SSH_OPTIONS_FD, &handed_fd_) == SSH_OK &&
        api_.ssh_options_set(session_, SSH_OPTIONS_HOST, target_.host.c_str()) == SSH_OK &&
        api_.ssh_options_set(session_, SSH_OPTIONS_PORT, &port) == SSH_OK &&
        api_.ssh_options_set(session_, SSH_OPTIONS_USER, target_.credentials.username.c_str()) ==
            SSH_OK &&
        api_.ssh_options_set(session_, SSH_OPTIONS_PROCESS_CONFIG, &process_config) == SSH_OK &&
        api_.ssh_options_set(session_, SSH_OPTIONS_KNOWNHOSTS, target_.known_hosts_file.c_str()) ==
            SSH_OK &&
        api_.ssh_options_set(session_, SSH_OPTIONS_COMPRESSION, compression) == SSH_OK;
    if (!ok) {
        fail(std::string("ssh: cannot set the session's options: ") + libssh_error());
        return;
    }
    api_.ssh_set_blocking(session_, 0);
    // Bytes libssh read from the socket: what keepalives judge silence by
    // (libssh reads the socket itself, so our own wake-ups cannot tell).
    api_.ssh_set_counters(session_, &socket_counter_, nullptr);
    state_ = State::handshake;
    last_inbound_ = std::chrono::steady_clock::now();
    drive();
}

void SshSession::drive() {
    drive_posted_ = false;
    while (state_ != State::ended && advance()) {
    }
    if (state_ != State::ended) {
        arm();
    }
}

bool SshSession::advance() {
    switch (state_) {
        case State::handshake: {
            fd_taken_ = true;
            int rc = api_.ssh_connect(session_);
            if (rc == SSH_AGAIN) {
                return false;
            }
            if (rc != SSH_OK) {
                fail("ssh: cannot connect to " + target_.host + ":" + std::to_string(target_.port) +
                     ": " + libssh_error());
                return false;
            }
            if (const char* banner = api_.ssh_get_serverbanner(session_)) {
                note(std::string("ssh: the server is ") + banner);
            }
            HostKeyCheck check =
                check_host_key(api_, session_, target_.host_keys, target_.known_hosts_file,
                               target_.host, target_.port);
            note("ssh: host key " + check.fingerprint +
                 (check.recorded ? " (new: recorded in " + target_.known_hosts_file + ")" : ""));
            if (check.refusal) {
                fail(*check.refusal);
                return false;
            }
            state_ = State::auth;
            events_.phase("auth");
            auth_.emplace(api_, session_, target_.credentials);
            return true;
        }
        case State::auth: {
            SshAuth::Result result = auth_->step();
            if (result == SshAuth::Result::again) {
                return false;
            }
            if (result == SshAuth::Result::failure) {
                fail(auth_->report());
                return false;
            }
            note("ssh: authenticated as " + target_.credentials.username);
            events_.phase("channel");
            channel_ = api_.ssh_channel_new(session_);
            if (channel_ == nullptr) {
                fail(std::string("ssh: cannot create a channel: ") + libssh_error());
                return false;
            }
            ssh_callbacks_init(&callbacks_);
            callbacks_.userdata = this;
            callbacks_.channel_exit_status_function = [](ssh_session, ssh_channel, int status,
                                                         void* self) {
                static_cast<SshSession*>(self)->exit_status_ = status;
            };
            callbacks_.channel_exit_signal_function = [](ssh_session, ssh_channel,
                                                         const char* signal, int, const char*,
                                                         const char*, void* self) {
                static_cast<SshSession*>(self)->exit_signal_ = signal ? signal : "?";
            };
            api_.ssh_set_channel_callbacks(channel_, &callbacks_);
            state_ = State::open;
            return true;
        }
        case State::open: {
            int rc = api_.ssh_channel_open_session(channel_);
            if (rc == SSH_AGAIN) {
                return false;
            }
            if (rc != SSH_OK) {
                fail(std::string("ssh: cannot open a session channel: ") + libssh_error());
                return false;
            }
            state_ = State::exec;
            return true;
        }
        case State::exec: {
            int rc = api_.ssh_channel_request_exec(channel_, target_.command.c_str());
            if (rc == SSH_AGAIN) {
                return false;
            }
            if (rc != SSH_OK) {
                fail(std::string("ssh: cannot run the bootstrap on the channel: ") +
                     libssh_error());
                return false;
            }
            state_ = State::running;
            events_.phase("shell");
            last_keepalive_ = std::chrono::steady_clock::now();
            arm_keepalive();
            return true;
        }
        case State::running:
            pump();
            return false;
        default:
            return false;
    }
}

bool SshSession::session_alive() const {
    return (api_.ssh_get_status(session_) & (SSH_CLOSED | SSH_CLOSED_ERROR)) == 0;
}

void SshSession::channel_failed() {
    // The connection is fine but the channel refuses (it closed under us, or
    // after SIGTERM we closed it): nothing more goes out; what comes in is
    // still read, and the channel's end ends the session.
    if (!session_alive()) {
        connection_lost();
        return;
    }
    writes_closed_ = true;
    to_channel_.clear();
    remote_eof_ = true;
}

bool SshSession::write_pending() const {
    return (api_.ssh_get_poll_flags(session_) & SSH_WRITE_PENDING) != 0;
}

void SshSession::pump() {
    for (int round = 0; round < kPumpRounds; ++round) {
        if (write_pending() && api_.ssh_blocking_flush(session_, 0) == SSH_ERROR) {
            connection_lost();
            return;
        }
        // No short circuit: every direction gets its turn.
        bool progress = channel_to_local();
        if (state_ == State::ended) {
            return;
        }
        progress = channel_stderr() || progress;
        progress = local_to_channel() || progress;
        if (state_ == State::ended) {
            return;
        }
        check_ends();
        if (state_ == State::ended || !progress) {
            return;
        }
    }
    // Still busy: let other work run, then carry on.
    if (!drive_posted_) {
        drive_posted_ = true;
        boost::asio::post(broker_.io(), [self = shared_from_this()] { self->drive(); });
    }
}

bool SshSession::channel_to_local() {
    bool progress = false;
    static thread_local char buffer[64 * 1024];
    while (!remote_eof_ && to_local_.size() < kHighWater) {
        int n = api_.ssh_channel_read_nonblocking(channel_, buffer, sizeof buffer, 0);
        if (n > 0) {
            to_local_.append(buffer, static_cast<std::size_t>(n));
            progress = true;
        } else if (n == SSH_EOF) {
            remote_eof_ = true;
        } else if (n == 0) {
            break;
        } else {
            channel_failed();
            return state_ != State::ended;
        }
    }
    while (!to_local_.empty() && local_.is_open()) {
        ssize_t n =
            ::send(local_.native_handle(), to_local_.data(), to_local_.size(), MSG_NOSIGNAL);
        if (n > 0) {
            to_local_.erase(0, static_cast<std::size_t>(n));
            progress = true;
        } else if (n < 0 && would_block()) {
            break;
        } else {
            // The stream side is gone: nobody reads what is left.
            to_local_.clear();
            local_eof_ = true;
        }
    }
    return progress;
}

bool SshSession::channel_stderr() {
    bool progress = false;
    static thread_local char buffer[16 * 1024];
    for (;;) {
        int n = api_.ssh_channel_read_nonblocking(channel_, buffer, sizeof buffer, 1);
        if (n <= 0) {
            break;
        }
        if (to_errors_.size() < kErrorsMax) {
            to_errors_.append(buffer, static_cast<std::size_t>(n));
        }
        progress = true;
    }
    while (!to_errors_.empty() && errors_.is_open()) {
        ssize_t n =
            write_without_sigpipe(errors_.native_handle(), to_errors_.data(), to_errors_.size());
        if (n > 0) {
            to_errors_.erase(0, static_cast<std::size_t>(n));
            progress = true;
        } else if (n < 0 && would_block()) {
            break;
        } else {
            to_errors_.clear();
        }
    }
    return progress;
}

bool SshSession::local_to_channel() {
    bool progress = false;
    static thread_local char buffer[64 * 1024];
    while (!local_eof_ && to_channel_.size() < kHighWater) {
        ssize_t n = ::recv(local_.native_handle(), buffer, sizeof buffer, 0);
        if (n > 0) {
            if (!writes_closed_ && !remote_eof_) {
                to_channel_.append(buffer, static_cast<std::size_t>(n));
            }  // else nobody is there to read it: read to EOF, and drop
            progress = true;
        } else if (n < 0 && would_block()) {
            break;
        } else {
            local_eof_ = true;  // EOF or error: the stream side closed
            progress = true;
        }
    }
    while (!to_channel_.empty() && !remote_eof_ && !write_pending()) {
        std::uint32_t window = api_.ssh_channel_window_size(channel_);
        std::size_t n = std::min<std::size_t>({to_channel_.size(), window, 64 * 1024});
        if (n == 0) {
            break;  // the window opens with a message from the server
        }
        int written =
            api_.ssh_channel_write(channel_, to_channel_.data(), static_cast<std::uint32_t>(n));
        if (written < 0) {
            channel_failed();
            return state_ != State::ended;
        }
        if (written == 0) {
            break;
        }
        to_channel_.erase(0, static_cast<std::size_t>(written));
        progress = true;
    }
    if (remote_eof_) {
        to_channel_.clear();  // the command is gone: nobody reads it
    }
    if (local_eof_ && to_channel_.empty() && !eof_sent_) {
        eof_sent_ = true;
        if (!remote_eof_ && !writes_closed_) {
            api_.ssh_channel_send_eof(channel_);
        }
    }
    return progress;
}

void SshSession::check_ends() {
    if (remote_eof_ && !api_.ssh_channel_is_closed(channel_)) {
        // Stdout ended; the exit status and the close follow. One
        // non-blocking pass takes them in (nothing else reads the socket now).
        api_.ssh_channel_get_exit_status(channel_);
        if (!session_alive()) {
            connection_lost();
            return;
        }
    }
    if (api_.ssh_channel_is_closed(channel_)) {
        remote_eof_ = true;
    }
    if (remote_eof_ && to_local_.empty() && !local_shut_) {
        // The command closed its output: the stream reads EOF after the
        // last byte, and closes its side, which ends us below.
        local_shut_ = true;
        ::shutdown(local_.native_handle(), SHUT_WR);
    }
    if (remote_eof_ && to_errors_.empty() && errors_.is_open()) {
        boost::system::error_code ignored;
        errors_.close(ignored);
    }
    // The end: the channel closed (its exit status came before the close)
    // and the stream side has closed too.
    if (api_.ssh_channel_is_closed(channel_) && local_shut_ && local_eof_) {
        if (exit_status_) {
            end("exited with status " + std::to_string(*exit_status_));
        } else if (!exit_signal_.empty()) {
            // The server names the signal ("SEGV"); its number is this
            // system's for that name.
            int number = signal_by_name(exit_signal_);
            end("killed by signal " + (number != 0 ? describe_signal(number)
                                                   : exit_signal_ + " (SIG" + exit_signal_ + ")"));
        } else {
            end("ended (the channel closed)");
        }
    }
}

void SshSession::arm() {
    if (state_ == State::ended) {
        return;
    }
    arm_socket();
    if (state_ != State::running) {
        return;
    }
    auto wake = [self = shared_from_this()](bool* armed) {
        return [self, armed](const boost::system::error_code& ec) {
            *armed = false;
            if (!ec && self->state_ != State::ended) {
                self->drive();
            }
        };
    };
    if (!local_eof_ && to_channel_.size() < kHighWater && !local_read_armed_) {
        local_read_armed_ = true;
        local_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          wake(&local_read_armed_));
    }
    if (!to_local_.empty() && !local_write_armed_) {
        local_write_armed_ = true;
        local_.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                          wake(&local_write_armed_));
    }
    if (!to_errors_.empty() && errors_.is_open() && !errors_write_armed_) {
        errors_write_armed_ = true;
        errors_.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                           wake(&errors_write_armed_));
    }
}

void SshSession::arm_socket() {
    // libssh reads the socket itself, in pieces, and Asio's waits are edge
    // triggered: what libssh left in the socket would never wake us. A
    // zero-timeout poll says whether to carry on at once.
    bool want_write = write_pending();
    pollfd p{socket_.native_handle(), static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, 0) > 0 && p.revents != 0) {
        if (!drive_posted_) {
            drive_posted_ = true;
            boost::asio::post(broker_.io(), [self = shared_from_this()] { self->drive(); });
        }
        return;
    }
    if (!socket_read_armed_) {
        socket_read_armed_ = true;
        socket_.async_wait(boost::asio::ip::tcp::socket::wait_read,
                           [self = shared_from_this()](const boost::system::error_code& ec) {
                               self->socket_read_armed_ = false;
                               if (!ec && self->state_ != State::ended) {
                                   self->drive();
                               }
                           });
    }
    if (want_write && !socket_write_armed_) {
        socket_write_armed_ = true;
        socket_.async_wait(boost::asio::ip::tcp::socket::wait_write,
                           [self = shared_from_this()](const boost::system::error_code& ec) {
                               self->socket_write_armed_ = false;
                               if (!ec && self->state_ != State::ended) {
                                   self->drive();
                               }
                           });
    }
}

void SshSession::arm_keepalive() {
    if (target_.keepalive_interval.count() <= 0 || state_ != State::running) {
        return;
    }
    auto tick = std::max(target_.keepalive_interval / 4, std::chrono::milliseconds(10));
    keepalive_timer_.expires_after(tick);
    keepalive_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) {
            self->on_keepalive_tick();
        }
    });
}

void SshSession::on_keepalive_tick() {
    if (state_ != State::running) {
        return;
    }
    drive();  // takes in what has arrived
    if (state_ != State::running) {
        return;
    }
    auto now = std::chrono::steady_clock::now();
    if (socket_counter_.in_bytes != seen_in_bytes_) {
        seen_in_bytes_ = socket_counter_.in_bytes;
        last_inbound_ = now;
    }
    auto silence = now - last_inbound_;
    const auto interval = target_.keepalive_interval;
    if (silence >= interval * target_.keepalive_count) {
        lost(
            "ssh: no answer to keepalives from " + target_.host + ":" +
            std::to_string(target_.port) + " for " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(silence).count()) +
            " ms (keepalive_interval " + std::to_string(interval.count()) +
            " ms x keepalive_count " + std::to_string(target_.keepalive_count) + ")");
        return;
    }
    // Asked every half interval of silence: an idle healthy server answers
    // well before interval x count, whatever the count.
    if (silence >= interval / 2 && now - last_keepalive_ >= interval / 2) {
        last_keepalive_ = now;
        // libssh keeps one global request in flight: the first call may only
        // collect the previous answer, the second then sends a new one.
        api_.ssh_send_keepalive(session_);
        api_.ssh_send_keepalive(session_);
        drive();  // the calls may have read channel data too
        if (state_ != State::running) {
            return;
        }
    }
    arm_keepalive();
}

void SshSession::signal(int signal) {
    if (state_ == State::ended) {
        return;
    }
    if (signal == SIGKILL || state_ != State::running) {
        end("killed (the connection was closed by this side)");
        return;
    }
    api_.ssh_channel_request_send_signal(channel_, signal == SIGTERM ? "TERM" : "HUP");
    if (!eof_sent_) {
        eof_sent_ = true;
        api_.ssh_channel_send_eof(channel_);
    }
    api_.ssh_channel_close(channel_);
    writes_closed_ = true;
    to_channel_.clear();
    drive();
}

void SshSession::kill_and_reap() {
    if (state_ == State::ended) {
        return;
    }
    status_ = "killed (the connection was closed by this side)";
    state_ = State::ended;
    teardown();
    events_ = {};
}

void SshSession::fail(const std::string& reason) {
    if (state_ == State::ended) {
        return;
    }
    TETHER_LOG(LogLevel::debug, kLog, describe(), ": ", reason);
    status_ = reason;
    state_ = State::ended;
    teardown();
    events_.fail(reason);
    post_exit();
}

void SshSession::connection_lost() {
    lost("ssh: connection to " + target_.host + " lost: " + libssh_error());
}

void SshSession::lost(const std::string& status) {
    TETHER_LOG(LogLevel::debug, kLog, describe(), ": ", status);
    end(status);
}

void SshSession::end(const std::string& status) {
    if (state_ == State::ended) {
        return;
    }
    status_ = status;
    state_ = State::ended;
    teardown();
    post_exit();
}

void SshSession::post_exit() {
    // The events hold their Connection; letting go of them after the last one
    // breaks the cycle between it and this session.
    boost::asio::post(broker_.io(), [events = std::exchange(events_, {})] {
        if (events.exit) {
            events.exit();
        }
    });
}

void SshSession::teardown() {
    boost::system::error_code ignored;
    keepalive_timer_.cancel();
    resolver_.cancel();
    if (channel_ != nullptr) {
        api_.ssh_channel_free(channel_);
        channel_ = nullptr;
    }
    if (session_ != nullptr) {
        // libssh never closes a descriptor set with SSH_OPTIONS_FD, except
        // when the connection fails under it (it then forgets it): ours to
        // close unless that happened.
        bool close_fd = handed_fd_ >= 0 && (!fd_taken_ || api_.ssh_get_fd(session_) >= 0);
        api_.ssh_disconnect(session_);
        api_.ssh_free(session_);
        session_ = nullptr;
        if (close_fd) {
            ::close(handed_fd_);
        }
        handed_fd_ = -1;
    }
    auth_.reset();
    socket_.close(ignored);
    local_.close(ignored);
    errors_.close(ignored);
    for (int* fd : {&protocol_fd_, &stderr_fd_}) {
        if (*fd >= 0) {
            ::close(std::exchange(*fd, -1));
        }
    }
}

}  // namespace tether::detail
