// The parent's side of one direct child, from the moment it was spawned until
// it is reaped: sends the child its configuration, waits for the handshake
// within the connect timeout, forwards the child's stderr lines, hands the
// stream to the router once connected, and shuts the child down gracefully
// first and forcefully after a deadline. Every method but wait_connected()
// runs on the broker thread. Resource: shared_ptr-owned (the router's link
// table, and itself until the child is reaped).
#pragma once

#include <sys/types.h>

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/child_link.hpp"
#include "core/line_reader.hpp"
#include "core/protocol.hpp"
#include "core/router_core.hpp"
#include "core/stream.hpp"
#include "parent/bootstrap.hpp"
#include "parent/bootstrap_session.hpp"
#include "parent/child_process.hpp"
#include "parent/password_dialog.hpp"
#include "tether/errors.hpp"
#include "tether/secret.hpp"

namespace tether::detail {

// What a transport hands over once it has started a child: its pid (or a
// handle for one that is not a local process), our end of the stream, and the read end of its
// stderr or its terminal (all owned from here on). Methods that run a command line add the shell
// bootstrap to run before the handshake, and their password dialog.
struct SpawnedChild {
    pid_t pid = -1;
    // Set instead of `pid` when the child is not a local process (SSH).
    std::shared_ptr<ChildHandle> handle = nullptr;
    int protocol_fd = -1;
    int stderr_fd = -1;
    std::optional<BootstrapPlan> bootstrap = std::nullopt;
    std::shared_ptr<PasswordDialog> dialog = nullptr;
    // True: prompts arrive on the stream (a full terminal), else on stderr_fd.
    bool dialog_on_stream = false;
    // Passwords given for this start: replaced by "***" in every line of its
    // output that is logged or kept, and in its failure (a target that echoes
    // what it read must not put them in a log or an exception).
    std::vector<Secret> redact = {};
};

class Connection final : public StreamOwner,
                         public ChildLink,
                         public std::enable_shared_from_this<Connection> {
  public:
    Connection(RouterCore& core, BootConfig boot, SpawnedChild child,
               std::chrono::milliseconds connect_timeout);
    ~Connection() override;

    // Broker thread: sends the configuration and starts every watch.
    void start();
    // Any thread: blocks until the handshake completes or fails. Throws
    // ConnectError naming the phase and carrying the child's last lines.
    ContextRef wait_connected();

    void on_message(Stream& stream, Message message) override;
    void on_closed(Stream& stream, const std::string& reason) override;
    void begin_shutdown() override;
    void abort() override;
    void release() override;

  private:
    enum class State { connecting, failing, connected, lost, done };

    void fail(std::string reason, bool killed);
    void begin_handshake();
    void on_stderr_pending(const std::string& pending);
    void apply(const PasswordDialog::Step& step, int fd);
    void on_exit();
    // Fails everything waiting on the lost child, saying how it ended when
    // that is known by now. Once.
    void report_lost();
    void on_stderr_line(const std::string& line);
    void escalate(std::chrono::milliseconds after, int signal);
    void finish_if_done();
    std::string last_lines() const;
    void set_result(std::optional<ConnectError> error);

    RouterCore& core_;
    std::shared_ptr<RouterCore> core_ref_;  // keeps the core alive while we run
    BootConfig boot_;
    std::chrono::milliseconds connect_timeout_;
    std::shared_ptr<Connection> self_;  // until reaped
    // First: opening the pidfd is the step that can fail, before any fd
    // has an owner (start_child then closes them and reaps the child).
    std::shared_ptr<ChildHandle> process_;
    std::shared_ptr<Stream> stream_;
    std::shared_ptr<LineReader> stderr_;
    std::shared_ptr<BootstrapSession> bootstrap_;
    std::shared_ptr<PasswordDialog> stderr_dialog_;  // prompts on stderr_fd
    std::string phase_ = "handshake";
    boost::asio::steady_timer connect_timer_;
    boost::asio::steady_timer escalate_timer_;
    boost::asio::steady_timer failing_timer_;
    boost::asio::steady_timer exit_wait_timer_;  // lost: until the exit status comes
    State state_ = State::connecting;
    std::string failure_;
    bool failure_killed_ = false;
    bool stderr_eof_ = false;
    bool shutting_down_ = false;
    std::string lost_reason_;  // why the stream of a connected child ended
    bool lost_reported_ = false;
    std::deque<std::string> last_lines_;
    std::vector<Secret> redact_;

    std::mutex result_mutex_;
    std::condition_variable result_ready_;
    bool has_result_ = false;
    std::optional<ConnectError> error_;
};

}  // namespace tether::detail
