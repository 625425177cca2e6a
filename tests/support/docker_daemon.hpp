// A Docker daemon of the tests' own: Debian's dockerd (package docker.io)
// with vfs storage, no iptables and no bridge, its socket, data and exec
// roots in a fresh directory /tmp/tt-docker-<pid>-XXXXXX, and a script
// `docker` there that runs the real client (/usr/bin/docker: another client
// may come first on PATH) against that socket: give it as
// DockerOptions::docker_path, as a user with a daemon of their own would.
//
// dockerd is started as a daemon, not as a child of the test program (the
// leak check fails a test that leaves a child), and the constructor returns
// once it has said READY=1 through sd_notify and answered `docker version`.
//
// Resource: one owner. The constructor undoes what it did before it throws;
// stop() (and the destructor, if stop() was not called) removes every
// container, stops dockerd (SIGTERM; SIGKILL after 30 s), kills whatever
// outlives it in the directory (containerd, a shim, a container's
// process), unmounts everything under it and removes it. A test program
// that was killed cannot do that: the next constructor does it for every
// /tmp/tt-docker-<pid>-* whose <pid> is gone. Needs root. Thread safety:
// one thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tt {

class DockerDaemon {
  public:
    // Throws std::runtime_error saying which step failed, with dockerd's
    // last log lines when dockerd itself did.
    DockerDaemon();
    ~DockerDaemon();
    DockerDaemon(const DockerDaemon&) = delete;
    DockerDaemon& operator=(const DockerDaemon&) = delete;

    // Why a daemon cannot run here ("" if it can): root, and the docker.io
    // package's programs.
    static std::string missing();

    const std::string& dir() const { return dir_; }
    // The wrapper script: the real client, pointed at this daemon.
    const std::string& client() const { return client_; }

    // Runs the client with `args`: its exit status and its output (both
    // streams, in order). Blocks until the client exits.
    std::pair<int, std::string> docker(const std::vector<std::string>& args) const;

    // `tar -C root -c . | docker import - name`. Throws std::runtime_error
    // with the client's output.
    void import(const std::string& root, const std::string& name) const;

    // The last `count` lines dockerd (and its containerd) logged.
    std::string log_tail(int count) const;

    // Stops everything as the class comment says; returns what was wrong
    // ("" when nothing was): a container that would not go, a dockerd that
    // needed SIGKILL, a process or mount left behind. Idempotent.
    std::string stop() noexcept;

  private:
    void start();

    std::string dir_;
    std::string client_;
    int pid_ = -1;    // dockerd (not our child)
    int pidfd_ = -1;  // pidfd_open(pid_): readable once dockerd has exited
    bool stopped_ = false;
};

}  // namespace tt
