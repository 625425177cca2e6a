// The parent's side of a fork server (core/fork_server.hpp): one per router,
// started at its first fork, restarted at the next fork after it died. It is
// one of the router's children (a ChildLink): shut down with the others, and
// only once the children it forked are gone, since they die with it. And the
// handle of one forked child (a ChildHandle): the fork server is that
// process's parent, so it reaps it and reports how it ended; we signal it
// through a pidfd the server opened for us. Broker thread unless said
// otherwise. Resources: shared_ptr-owned (the router's link table, and each
// link itself until its server is reaped).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/child_link.hpp"
#include "core/fork_wire.hpp"
#include "core/router_core.hpp"
#include "parent/child_handle.hpp"
#include "parent/child_process.hpp"
#include "parent/connection.hpp"
#include "tether/errors.hpp"

namespace tether::detail {

// The fork server died, or was found dead, during a fork: the fork method
// starts a new server and tries once more.
class ForkServerGone : public ConnectError {
  public:
    using ConnectError::ConnectError;
};

class ForkedProcess final : public ChildHandle, public std::enable_shared_from_this<ForkedProcess> {
  public:
    // `pidfd`: owned from here; -1 where the kernel has no pidfd_open.
    ForkedProcess(BrokerImpl& broker, pid_t pid, int pidfd, std::string server);
    // A process nobody watches any more must not live on: SIGKILL.
    ~ForkedProcess() override;
    ForkedProcess(const ForkedProcess&) = delete;
    ForkedProcess& operator=(const ForkedProcess&) = delete;

    void watch(Events events) override;
    void signal(int signal) override;
    // SIGKILL, then waits (bounded) until the process is gone; the server
    // reaps it.
    void kill_and_reap() override;
    bool exited() const override { return status_.has_value() || !lost_.empty(); }
    std::string describe_status() const override;
    std::string describe() const override;

    // From the fork server: it reaped the process; `status` as waitpid gave it.
    void ended(int status);
    // The fork server is gone before it reported this process, which dies
    // with it: reported as ended once it has.
    void server_lost(const std::string& why);

  private:
    void report();

    pid_t pid_;
    boost::asio::posix::stream_descriptor pidfd_;
    std::string server_;
    std::optional<int> status_;
    std::string lost_;
    std::function<void()> on_exit_;
    bool reported_ = false;
};

class ForkServerLink final : public ChildLink, public std::enable_shared_from_this<ForkServerLink> {
  public:
    // Any thread but the broker's: the router's fork server, started now if
    // it has none or the last one died. Throws ConnectError(`name`, ...).
    static std::shared_ptr<ForkServerLink> of(RouterCore& core, const std::string& name);

    ForkServerLink(RouterCore& core, std::uint32_t id);
    ~ForkServerLink() override;

    // Forks a child with `env` added to its environment; blocks this (the
    // broker) thread until the server answers, at most `timeout`. Throws
    // ConnectError(`name`, "phase 'spawn': ...").
    SpawnedChild fork(const std::map<std::string, std::string>& env,
                      std::chrono::milliseconds timeout, const std::string& name);
    // Any thread: a start this server forked for is over (connected or
    // failed), so the server may make its next child ready now, off that
    // start's critical path. A server that is gone is the next fork's to find.
    void prepare_next() noexcept;
    // Any thread: false once the server is known to be gone.
    bool alive() const noexcept { return !dead_.load(std::memory_order_acquire); }

    // ChildLink: the server goes after the children it forked.
    void begin_shutdown() override;
    void abort() override;
    void release() override;

  private:
    void start();
    void await_reports();
    // Reads every message waiting; returns false on EOF or error.
    bool read_reports(std::optional<ForkReport>* answer, std::uint32_t id, int* pidfd);
    void on_report(const ForkReport& report);
    void lost(const std::string& why);
    void close_if_done();
    void on_server_exit();

    RouterCore& core_;
    std::shared_ptr<RouterCore> core_ref_;  // keeps the core alive while we run
    std::uint32_t id_;
    std::string name_;
    std::shared_ptr<ForkServerLink> self_;  // until the server is reaped
    std::shared_ptr<ChildProcess> process_;
    boost::asio::posix::stream_descriptor control_;
    boost::asio::steady_timer kill_timer_;
    std::map<pid_t, std::weak_ptr<ForkedProcess>> children_;  // forked, not yet reported
    std::uint32_t next_request_ = 1;
    bool shutting_down_ = false;
    bool server_exited_ = false;
    std::string lost_reason_;
    std::atomic<bool> dead_{false};
};

}  // namespace tether::detail
