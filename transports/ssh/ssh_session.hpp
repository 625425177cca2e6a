// One SSH connection running one remote command, on the broker thread: a
// non-blocking libssh session on a socket that Asio watches. It resolves and
// connects, checks the host key, authenticates, runs the command on an exec
// channel, and then copies bytes between that channel and a local
// socketpair, so that everything above it (bootstrap, stream, router) works
// on a plain file descriptor exactly as for a local child. The channel's
// stderr goes to a pipe the same way. As a ChildHandle it ends when the
// channel closes or the connection is lost, and keepalives notice a peer
// that vanished without closing. Resource: shared_ptr-owned; broker thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "parent/child_handle.hpp"
#include "tether/options.hpp"
#include "transports/ssh/libssh_api.hpp"
#include "transports/ssh/ssh_auth.hpp"

namespace tether::detail {

class BrokerImpl;

struct SshTarget {
    std::string host;
    int port = 22;
    SshCredentials credentials;
    HostKeyPolicy host_keys = HostKeyPolicy::enforce;
    std::string known_hosts_file;
    std::chrono::milliseconds keepalive_interval{15000};  // 0: none
    int keepalive_count = 3;
    bool compression = false;
    std::string command;  // run by the remote user's shell
};

class SshSession final : public ChildHandle, public std::enable_shared_from_this<SshSession> {
  public:
    // Throws tether::Error (libssh missing, no fds left).
    SshSession(BrokerImpl& broker, SshTarget target);
    ~SshSession() override;
    SshSession(const SshSession&) = delete;
    SshSession& operator=(const SshSession&) = delete;

    // Our ends for the Connection, handed over once: the stream and the
    // remote stderr.
    int take_protocol_fd();
    int take_stderr_fd();

    // Starts connecting.
    void watch(Events events) override;
    // SIGTERM: signal the remote command and close the channel; SIGKILL:
    // drop the connection.
    void signal(int signal) override;
    void kill_and_reap() override;
    bool exited() const override { return state_ == State::ended; }
    std::string describe_status() const override;
    std::string describe() const override;

  private:
    enum class State { idle, resolving, connecting, handshake, auth, open, exec, running, ended };

    void on_resolved(const boost::asio::ip::tcp::resolver::results_type& endpoints);
    void on_connected();
    // Advances the state machine as far as it goes, then waits for news.
    void drive();
    bool advance();  // one step; false: waiting
    void pump();
    bool channel_to_local();
    bool channel_stderr();
    bool local_to_channel();
    void check_ends();
    void arm();
    void arm_socket();
    void arm_keepalive();
    void on_keepalive_tick();
    void note(const std::string& line);
    // Ends with a failure to connect (reported through events.fail).
    void fail(const std::string& reason);
    std::string libssh_error() const;
    // Ends a running session: `status` is what describe_status says.
    void lost(const std::string& status);
    // lost() with libssh's own words for why.
    void connection_lost();
    void end(const std::string& status);
    void post_exit();
    void teardown();
    bool write_pending() const;
    bool session_alive() const;
    // A channel-level error: ends the channel's output, or the session if the
    // connection itself is gone.
    void channel_failed();

    BrokerImpl& broker_;
    const LibSsh& api_;
    SshTarget target_;
    Events events_;
    State state_ = State::idle;
    std::string status_ = "running";

    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::ip::tcp::socket socket_;
    boost::asio::posix::stream_descriptor local_;   // our side of the data socketpair
    boost::asio::posix::stream_descriptor errors_;  // write end of the stderr pipe
    int protocol_fd_ = -1;                          // their side, until taken
    int stderr_fd_ = -1;
    boost::asio::steady_timer keepalive_timer_;
    ssh_session session_ = nullptr;
    socket_t handed_fd_ = -1;  // the socket's duplicate given to libssh
    bool fd_taken_ = false;    // ssh_connect has run (and attached it)
    ssh_channel channel_ = nullptr;
    ssh_channel_callbacks_struct callbacks_{};
    std::optional<SshAuth> auth_;

    std::string to_local_;    // from the channel, not yet written locally
    std::string to_channel_;  // read locally, not yet accepted by the channel
    std::string to_errors_;   // remote stderr, not yet written to the pipe
    bool socket_read_armed_ = false;
    bool socket_write_armed_ = false;
    bool local_read_armed_ = false;
    bool local_write_armed_ = false;
    bool errors_write_armed_ = false;
    bool local_eof_ = false;  // the stream side closed: EOF sent on the channel
    bool eof_sent_ = false;
    bool writes_closed_ = false;  // the channel takes no more data
    bool remote_eof_ = false;     // the command closed its stdout
    bool local_shut_ = false;     // and we passed that on
    bool drive_posted_ = false;
    std::optional<int> exit_status_;
    std::string exit_signal_;
    ssh_counter_struct socket_counter_{};
    std::uint64_t seen_in_bytes_ = 0;
    std::chrono::steady_clock::time_point last_inbound_;  // when seen_in_bytes_ last grew
    std::chrono::steady_clock::time_point last_keepalive_;
};

}  // namespace tether::detail
