// Functions the tests call in child contexts. The test program is also the
// program every child runs, so they are exported once, here, for all tests.
#pragma once

#include <tether/tether.hpp>

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace tt {

struct Point {
    int x = 0;
    int y = 0;
    std::string label;
    template <class Archive>
    void serialize(Archive& ar) {
        ar(x, y, label);
    }
    friend bool operator==(const Point&, const Point&) = default;
};

struct CustomError {
    int code;
};

class MyError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

int add(int a, int b);
std::string greet(const std::string& who);
int pid();
int euid();
std::string env_of(const std::string& name);
std::string argv0();
std::vector<int> doubled(std::vector<int> values);
std::map<std::string, int> count_words(const std::vector<std::string>& words);
std::optional<std::string> maybe(bool give);
std::tuple<int, std::string, double> tuple_of(int a);
std::variant<int, std::string> variant_of(bool text);
Point move_point(Point p, int dx);
tether::Blob echo_blob(tether::Blob blob);
std::string reveal(tether::Secret secret);
void nothing();
void fail_std(const std::string& message);
void fail_custom();
void fail_int();
int sleep_ms(int ms);
// Die by SIGSEGV (its default action, whatever handler a sanitizer set; no
// core file) or _Exit(code) at once, without unwinding or flushing.
void crash();
void exit_now(int code);
void record(int value);
std::vector<int> recorded();
std::string print_line(const std::string& line);
int print_bulk(int lines, int width);
std::string whoami(tether::CallContext& cc);
std::size_t max_message_size(tether::CallContext& cc);
tether::Context start_local_here(tether::CallContext& cc);
int call_add_in_new_child(tether::CallContext& cc, int a, int b);
// Calls touch_and_sleep(marker, ms) in `target`.
int sleep_in(tether::CallContext& cc, tether::Context target, std::string marker, int ms);
// Creates the file `marker` (if not empty), then sleeps.
int touch_and_sleep(std::string marker, int ms);
// Test-side helpers (not exported).
std::string temp_path(const std::string& stem);
// Whether `path` appeared within 10 s; removes it.
bool wait_for_file(const std::string& path);
// Calls add / greet in this context's parent (the master refuses unless it
// opened them with allow_calls).
int add_in_parent(tether::CallContext& cc, int a, int b);
std::string greet_in_parent(tether::CallContext& cc, std::string who);
void write_raw_to_parent(tether::CallContext& cc, std::string bytes);
// A frame as a hostile child writes it (auth = src, reply_to 0); `length`,
// if given, replaces the header's payload length.
std::string raw_frame(std::uint32_t dst, std::uint32_t src, std::uint32_t handle,
                      std::string payload, std::optional<std::uint32_t> length = std::nullopt);
// Calls sleep_ms(500) in the master (which must have opened it), then,
// while that runs, sends its parent a call under the master's authority
// (forged) to be answered on the same handle. Returns why the master call
// failed, or "served".
std::string forge_authority_during_a_master_call(tether::CallContext& cc);
// Writes `bytes` to the parent stream as they are, waits until they are out,
// and exits at once: a context that dies in the middle of a frame.
void write_raw_then_exit(tether::CallContext& cc, std::string bytes);
// write_raw_to_parent, then returns `value`: bytes (a forged reply, say)
// that reach the parent before this call's own reply.
int write_raw_then_return(tether::CallContext& cc, std::string bytes, int value);
std::string reply_too_large(int bytes);
// Bit i set: fd i has O_NONBLOCK (fds 0, 1, 2).
int nonblocking_stdio();
// Whether the call runs on the process's main thread.
bool on_main_thread();
// Throw an error whose text carries the secrets' values (careless user code).
void fail_with_secret(tether::Secret secret);
void fail_with_nested_secrets(std::map<std::string, std::optional<tether::Secret>> secrets);

}  // namespace tt
