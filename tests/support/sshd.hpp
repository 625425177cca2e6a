// A real OpenSSH server for one test: `sshd -D -e -f <dir>/sshd_config` on a
// loopback port (or port 22 inside a network namespace), with a throwaway host
// key, a client key authorized for root, and a known_hosts file that knows
// the host key. Nothing under /etc/ssh is touched. Stopped by its pid.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tt {

struct SshdOptions {
    std::string address = "127.0.0.1";
    std::string netns = {};                // run inside this network namespace (port 22)
    std::vector<std::string> config = {};  // more sshd_config lines
};

class Sshd {
  public:
    // Throws std::runtime_error if sshd cannot start (with its output),
    // having stopped what it started and removed its directory.
    explicit Sshd(SshdOptions options = {});
    ~Sshd();
    Sshd(const Sshd&) = delete;
    Sshd& operator=(const Sshd&) = delete;

    // Why SSH tests cannot run here ("" if they can): root and sshd.
    static std::string missing();

    const std::string& address() const { return options_.address; }
    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    const std::string& dir() const { return dir_; }
    std::string client_key() const { return dir_ + "/client_key"; }
    std::string known_hosts() const { return dir_ + "/known_hosts"; }
    // The known_hosts line for this server ("[addr]:port ssh-ed25519 AAAA...").
    std::string known_hosts_line() const;
    // "ssh-ed25519 SHA256:..." as ssh-keygen -l prints it.
    std::string fingerprint() const;
    // The processes serving connections (sshd's descendants that are sshd).
    std::vector<pid_t> session_pids() const;
    std::string log() const;

  private:
    void start();
    // Stops sshd, its sessions and the log drain; removes the directory.
    void stop() noexcept;

    SshdOptions options_;
    std::string dir_;
    int port_ = 22;
    pid_t pid_ = -1;
    pid_t drain_pid_ = -1;
};

// A port nothing listens on right now on `address` (the kernel's pick).
int free_port(const std::string& address = "127.0.0.1");

// Runs a shell command; returns what it printed on stdout.
std::string run(const std::string& command);

}  // namespace tt
