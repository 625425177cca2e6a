#include "transports/fork/fork_server_link.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "core/child_env.hpp"
#include "core/fd_passing.hpp"
#include "core/log.hpp"
#include "parent/command.hpp"
#include "parent/exit_status.hpp"
#include "parent/start_child.hpp"

namespace tether::detail {
namespace {

constexpr const char* kLog = "tether.fork";
// After its socket is closed, how long the server gets to exit before SIGKILL.
constexpr auto kServerExitGrace = std::chrono::milliseconds(2000);
// kill_and_reap: how long to wait for a SIGKILLed child to be gone.
constexpr int kKillWaitMs = 5000;

struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    int release() { return std::exchange(fd, -1); }
};

std::string os_error(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

// Routers and their fork servers. A link keeps its router's core alive, so
// while an entry's link lives, its key names that same core.
std::mutex servers_mutex;
std::map<RouterCore*, std::weak_ptr<ForkServerLink>>& servers() {
    static auto* all = new std::map<RouterCore*, std::weak_ptr<ForkServerLink>>();
    return *all;
}

// The server: this program again, with fd 0 its end of the control socket,
// fd 1 /dev/null, fd 2 ours (it only speaks when it cannot start), nothing
// else open, every signal as a fresh program has it.
pid_t spawn_server(int control, const std::string& name) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, control, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) {
        sigaddset(&defaults, s);
    }
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::map<std::string, std::string> extra{{kChildEnv, kForkServerMode},
                                             {kParentPidEnv, std::to_string(::getpid())}};
    if (std::getenv("LD_BIND_NOW") == nullptr) {
        extra.insert({{"LD_BIND_NOW", "1"}, {kForkBindNowEnv, "1"}});
    }
    std::vector<std::string> env = environment_with(extra);
    std::vector<char*> c_env;
    for (auto& e : env) {
        c_env.push_back(e.data());
    }
    c_env.push_back(nullptr);
    std::string arg0 = name;
    char* argv[] = {arg0.data(), nullptr};
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv, c_env.data());
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        errno = rc;
        throw std::runtime_error(os_error("cannot run /proc/self/exe"));
    }
    return pid;
}

}  // namespace

// --- ForkedProcess ---

ForkedProcess::ForkedProcess(BrokerImpl& broker, pid_t pid, int pidfd, std::string server)
    : pid_(pid), pidfd_(broker.io()), server_(std::move(server)) {
    if (pidfd >= 0) {
        pidfd_.assign(pidfd);
    }
}

ForkedProcess::~ForkedProcess() {
    kill_and_reap();
    boost::system::error_code ignored;
    pidfd_.close(ignored);
}

void ForkedProcess::watch(Events events) {
    on_exit_ = std::move(events.exit);
    if (exited()) {
        // As a ChildProcess: the exit is never reported inside watch().
        boost::asio::post(pidfd_.get_executor(), [self = shared_from_this()] { self->report(); });
    }
}

void ForkedProcess::signal(int sig) {
    if (exited()) {
        return;
    }
    if (pidfd_.is_open()) {
        ::syscall(SYS_pidfd_send_signal, pidfd_.native_handle(), sig, nullptr, 0);
    } else {
        // Without pidfds: the server may have reaped it a moment ago and not
        // told us yet; the pid is reused that fast only in theory.
        ::kill(pid_, sig);
    }
}

void ForkedProcess::kill_and_reap() {
    if (exited()) {
        return;
    }
    signal(SIGKILL);
    if (pidfd_.is_open()) {
        pollfd p{pidfd_.native_handle(), POLLIN, 0};
        while (::poll(&p, 1, kKillWaitMs) < 0 && errno == EINTR) {
        }
    }
    status_ = SIGKILL;  // the wait status of a process killed by SIGKILL
}

std::string ForkedProcess::describe_status() const {
    if (status_) {
        return describe_wait_status(*status_);
    }
    if (!lost_.empty()) {
        return "ended with its fork server (" + lost_ + ")";
    }
    return "running";
}

std::string ForkedProcess::describe() const {
    return "pid " + std::to_string(pid_) + ", forked by the fork server " + server_;
}

void ForkedProcess::ended(int status) {
    status_ = status;
    report();
}

void ForkedProcess::server_lost(const std::string& why) {
    if (exited()) {
        return;
    }
    if (!pidfd_.is_open()) {
        lost_ = why;
        report();
        return;
    }
    // It dies with the server (PR_SET_PDEATHSIG): ended once it has.
    pidfd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [self = shared_from_this(), why](const boost::system::error_code& ec) {
                          if (!ec && !self->exited()) {
                              self->lost_ = why;
                              self->report();
                          }
                      });
}

void ForkedProcess::report() {
    if (reported_ || !on_exit_) {
        return;
    }
    reported_ = true;
    auto on_exit = std::move(on_exit_);
    on_exit();
}

// --- ForkServerLink ---

std::shared_ptr<ForkServerLink> ForkServerLink::of(RouterCore& core, const std::string& name) {
    std::lock_guard lock(servers_mutex);
    auto& all = servers();
    std::erase_if(all, [](const auto& entry) { return entry.second.expired(); });
    if (auto it = all.find(&core); it != all.end()) {
        if (auto link = it->second.lock(); link && link->alive()) {
            return link;
        }
    }
    try {
        auto link = std::make_shared<ForkServerLink>(core, core.allocate_id());
        core.broker().post_sync([&] {
            core.check_open();
            link->start();
        });
        all[&core] = link;
        return link;
    } catch (const std::exception& e) {
        throw ConnectError(name, std::string("phase 'fork server': ") + e.what());
    }
}

ForkServerLink::ForkServerLink(RouterCore& core, std::uint32_t id)
    : core_(core),
      core_ref_(core.shared_from_this()),
      id_(id),
      name_("tether:fork-server:" + default_remote_name().substr(std::strlen("tether:"))),
      control_(core.broker().io()),
      kill_timer_(core.broker().io()) {}

ForkServerLink::~ForkServerLink() = default;

void ForkServerLink::start() {
    TETHER_ASSERT_BROKER_THREAD(core_.broker());
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
        throw std::runtime_error(os_error("socketpair"));
    }
    Fd ours(pair[0]);
    Fd theirs(pair[1]);
    pid_t pid = spawn_server(theirs.fd, name_);
    try {
        process_ = std::make_shared<ChildProcess>(core_.broker(), pid);
    } catch (...) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw;
    }
    try {
        core_.add_link(id_, "fork-server", shared_from_this());
    } catch (...) {
        process_->kill_and_reap();
        throw;
    }
    control_.assign(ours.release());
    control_.non_blocking(true);
    self_ = shared_from_this();
    ChildHandle::Events events;
    events.exit = [self = self_] { self->on_server_exit(); };
    process_->watch(std::move(events));
    await_reports();
    TETHER_LOG(LogLevel::debug, kLog, "fork server started: ", process_->describe());
}

void ForkServerLink::await_reports() {
    if (!control_.is_open()) {
        return;
    }
    control_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                        [self = shared_from_this()](const boost::system::error_code& ec) {
                            if (ec || !self->control_.is_open()) {
                                return;
                            }
                            if (self->read_reports(nullptr, 0, nullptr)) {
                                self->await_reports();
                            } else {
                                self->lost("closed its socket");
                            }
                        });
}

bool ForkServerLink::read_reports(std::optional<ForkReport>* answer, std::uint32_t id, int* pidfd) {
    for (;;) {
        ForkReport report;
        std::vector<int> fds;
        bool truncated = false;
        ssize_t n = receive_with_fds(control_.native_handle(), &report, sizeof report, MSG_DONTWAIT,
                                     fds, truncated);
        if (n < 0 && errno == EAGAIN) {
            return true;
        }
        if (n != sizeof report || truncated || fds.size() > 1) {
            for (int fd : fds) {
                ::close(fd);
            }
            return false;  // EOF, an error, or not our server speaking
        }
        int fd = fds.empty() ? -1 : fds.front();
        bool is_answer = report.op == ForkOp::forked || report.op == ForkOp::failed;
        if (answer != nullptr && is_answer && report.id == id) {
            *answer = report;
            *pidfd = fd;
            continue;
        }
        if (fd >= 0) {
            ::close(fd);
        }
        on_report(report);
    }
}

void ForkServerLink::on_report(const ForkReport& report) {
    if (report.op != ForkOp::exited) {
        return;  // the answer to a fork that gave up waiting
    }
    auto it = children_.find(report.pid);
    if (it == children_.end()) {
        return;
    }
    std::shared_ptr<ForkedProcess> child = it->second.lock();
    children_.erase(it);
    if (child) {
        child->ended(report.value);
    }
    close_if_done();
}

SpawnedChild ForkServerLink::fork(const std::map<std::string, std::string>& env,
                                  std::chrono::milliseconds timeout, const std::string& name) {
    TETHER_ASSERT_BROKER_THREAD(core_.broker());
    auto fail = [&name](const std::string& why) {
        return ConnectError(name, "phase 'spawn': " + why);
    };
    auto gone = [&name, this](const std::string& why) {
        return ForkServerGone(
            name, "phase 'spawn': the fork server (" + process_->describe() + ") " + why);
    };
    if (!alive()) {
        throw gone(lost_reason_);
    }
    std::string entries;
    for (const auto& [key, value] : env) {
        entries += key + "=" + value;
        entries.push_back('\0');
    }
    if (entries.size() > kMaxForkRequest) {
        throw fail("the env option is too large for a fork (" + std::to_string(entries.size()) +
                   " bytes; at most " + std::to_string(kMaxForkRequest) + ")");
    }
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        throw fail(os_error("socketpair"));
    }
    Fd ours(pair[0]);
    Fd theirs(pair[1]);
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) {
        throw fail(os_error("pipe2"));
    }
    Fd err_read(err[0]);
    Fd err_write(err[1]);

    ForkRequest request{ForkOp::fork, next_request_++, static_cast<std::uint32_t>(entries.size())};
    iovec parts[2] = {{&request, sizeof request}, {entries.data(), entries.size()}};
    int fds[2] = {theirs.fd, err_write.fd};
    ssize_t sent = send_with_fds(control_.native_handle(), {parts, entries.empty() ? 1U : 2U}, fds);
    if (sent < 0) {
        std::string why = os_error("cannot be written to");
        lost(why);
        throw gone(why);
    }
    // Its copies are in the server now (or in the message it will read).
    ::close(theirs.release());
    ::close(err_write.release());

    std::optional<ForkReport> answer;
    int pidfd = -1;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!answer) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{control_.native_handle(), POLLIN, 0};
        int ready = left.count() <= 0 ? 0 : ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready == 0) {
            // A server that does not answer is of no further use.
            std::string why = "did not answer within " + std::to_string(timeout.count()) + " ms";
            process_->signal(SIGKILL);
            lost(why);
            throw gone(why);
        }
        if (!read_reports(&answer, request.id, &pidfd)) {
            lost("closed its socket");
            if (!answer) {
                throw gone("closed its socket before answering");
            }
        }
    }
    if (answer->op == ForkOp::failed) {
        errno = answer->value;
        throw fail(os_error("fork"));
    }
    auto child =
        std::make_shared<ForkedProcess>(core_.broker(), answer->pid, pidfd, process_->describe());
    children_[answer->pid] = child;
    return SpawnedChild{.pid = answer->pid,
                        .handle = child,
                        .protocol_fd = ours.release(),
                        .stderr_fd = err_read.release()};
}

void ForkServerLink::prepare_next() noexcept {
    try {
        core_.broker().post([self = shared_from_this()] {
            if (!self->alive() || !self->control_.is_open()) {
                return;
            }
            ForkRequest request{ForkOp::prepare, 0, 0};
            iovec part{&request, sizeof request};
            // The socket does not block: a full one means requests are
            // queued, and a fork is on its way anyway.
            [[maybe_unused]] ssize_t n =
                send_with_fds(self->control_.native_handle(), {&part, 1}, {});
        });
    } catch (const std::exception&) {
        // The broker has stopped: there is no next start to prepare for.
    }
}

void ForkServerLink::lost(const std::string& why) {
    if (dead_.exchange(true, std::memory_order_acq_rel)) {
        return;
    }
    lost_reason_ = why;
    boost::system::error_code ignored;
    control_.close(ignored);
    TETHER_LOG(LogLevel::debug, kLog, "fork server ", process_->describe(), " lost: ", why);
    // Its exit (reported by the pidfd) tells the children how it ended.
    process_->signal(SIGKILL);
}

void ForkServerLink::on_server_exit() {
    if (server_exited_) {
        return;  // release() got here first
    }
    server_exited_ = true;
    dead_.store(true, std::memory_order_release);
    boost::system::error_code ignored;
    control_.close(ignored);
    kill_timer_.cancel();
    std::string why = "the fork server " + process_->describe() + " " + process_->describe_status();
    if (lost_reason_.empty()) {
        lost_reason_ = process_->describe_status();
    }
    TETHER_LOG(shutting_down_ ? LogLevel::debug : LogLevel::warning, kLog, why);
    auto children = std::move(children_);
    children_.clear();
    for (auto& [pid, weak] : children) {
        if (auto child = weak.lock()) {
            child->server_lost(why);
        }
    }
    core_.child_gone(id_);
    self_.reset();
}

void ForkServerLink::close_if_done() {
    if (!shutting_down_ || !children_.empty() || !control_.is_open()) {
        return;
    }
    // EOF on its socket: the server exits.
    boost::system::error_code ignored;
    control_.close(ignored);
    dead_.store(true, std::memory_order_release);
    kill_timer_.expires_after(kServerExitGrace);
    kill_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) {
            self->process_->signal(SIGKILL);
        }
    });
}

void ForkServerLink::begin_shutdown() {
    TETHER_ASSERT_BROKER_THREAD(core_.broker());
    shutting_down_ = true;
    close_if_done();
}

void ForkServerLink::abort() {
    shutting_down_ = true;
    dead_.store(true, std::memory_order_release);
    process_->signal(SIGKILL);
}

void ForkServerLink::release() {
    shutting_down_ = true;
    boost::system::error_code ignored;
    control_.close(ignored);
    if (!process_->exited()) {
        process_->kill_and_reap();
        on_server_exit();
    }
}

}  // namespace tether::detail
