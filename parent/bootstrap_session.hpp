// The parent's half of the shell bootstrap, on the broker thread: reads what
// the target prints on the stream until the program announces itself, ships
// the program when the script asks for it, and answers a password prompt that
// arrives on the same stream (su under a full terminal). Everything that is
// not a marker line is handed on as output: banners are tolerated, and kept
// for error reports. Resource: shared_ptr-owned; broker thread only.
#pragma once

#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "parent/bootstrap.hpp"
#include "parent/password_dialog.hpp"

namespace tether::detail {

class BrokerImpl;

class BootstrapSession : public std::enable_shared_from_this<BootstrapSession> {
  public:
    struct Events {
        std::function<void(const std::string& phase)> phase;  // entered a new phase
        std::function<void(const std::string& line)> output;  // a line that is not ours
        std::function<void()> ready;                          // the program runs
        // "phase 'x': why"; `kill`: the command would go on by itself (a
        // password prompt asking again), else it is exiting anyway.
        std::function<void(const std::string& reason, bool kill)> fail;
    };

    // `fd` stays the caller's: the session works on a duplicate, closed when
    // it is done. `dialog`: the method's password dialog, or null; it is
    // finished when the shell starts. `dialog_on_stream`: prompts arrive here.
    BootstrapSession(BrokerImpl& broker, int fd, BootstrapPlan plan,
                     std::shared_ptr<PasswordDialog> dialog, bool dialog_on_stream, Events events);
    ~BootstrapSession();
    BootstrapSession(const BootstrapSession&) = delete;
    BootstrapSession& operator=(const BootstrapSession&) = delete;

    void start();
    void stop();
    const std::string& phase() const noexcept { return phase_; }
    // Bytes of the program written so far (0 when the target had it cached).
    std::uint64_t uploaded() const noexcept { return uploaded_; }

  private:
    void arm_read();
    void on_data(std::size_t size);
    // Returns false once the session is over.
    bool on_line(std::string line);
    bool on_marker(const std::string& word, const std::string& rest);
    void upload(const ProgramImage& image, bool gzip);
    void upload_some();
    void enter(const std::string& phase);
    void fail(const std::string& why, bool kill = false);
    void answer_prompt();
    void close_stream();

    boost::asio::posix::stream_descriptor stream_;
    BootstrapPlan plan_;
    std::shared_ptr<PasswordDialog> dialog_;
    bool dialog_on_stream_;
    Events events_;
    std::string phase_;
    std::string text_;
    char buffer_[4096];
    // What an upload writes: a length line (gzip only), then the bytes.
    std::string upload_head_;
    std::span<const unsigned char> upload_body_;
    std::uint64_t uploaded_ = 0;
    bool done_ = false;
};

}  // namespace tether::detail
