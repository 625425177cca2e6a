#include "functions.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "core/router_core.hpp"
#include "core/stream.hpp"

namespace tt {

int add(int a, int b) {
    return a + b;
}
std::string greet(const std::string& who) {
    return "hello " + who;
}
int pid() {
    return ::getpid();
}

int euid() {
    return static_cast<int>(::geteuid());
}

std::string env_of(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return value ? value : "";
}

std::string argv0() {
    std::ifstream in("/proc/self/cmdline");
    std::string first;
    std::getline(in, first, '\0');
    return first;
}

std::vector<int> doubled(std::vector<int> values) {
    for (int& v : values) {
        v *= 2;
    }
    return values;
}

std::map<std::string, int> count_words(const std::vector<std::string>& words) {
    std::map<std::string, int> counts;
    for (const auto& w : words) {
        ++counts[w];
    }
    return counts;
}

std::optional<std::string> maybe(bool give) {
    return give ? std::optional<std::string>("here") : std::nullopt;
}

std::tuple<int, std::string, double> tuple_of(int a) {
    return {a, std::to_string(a), a * 0.5};
}

std::variant<int, std::string> variant_of(bool text) {
    if (text) {
        return std::string("text");
    }
    return 7;
}

Point move_point(Point p, int dx) {
    p.x += dx;
    p.label += "!";
    return p;
}

tether::Blob echo_blob(tether::Blob blob) {
    return blob;
}
std::string reveal(tether::Secret secret) {
    return secret.reveal();
}
void nothing() {}
void fail_with_secret(tether::Secret secret) {
    throw std::runtime_error("cannot log in with '" + secret.reveal() + "'");
}
void fail_with_nested_secrets(std::map<std::string, std::optional<tether::Secret>> secrets) {
    std::string text = "refused:";
    for (const auto& [name, secret] : secrets) {
        text += " " + name + "=" + (secret ? secret->reveal() : "none");
    }
    throw std::invalid_argument(text);
}
void fail_std(const std::string& message) {
    throw MyError(message);
}
void fail_custom() {
    throw CustomError{42};
}
void fail_int() {
    throw 7;
}

int sleep_ms(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
}

void crash() {
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);
}

void exit_now(int code) {
    std::_Exit(code);
}

namespace {
std::mutex g_recorded_mutex;
std::vector<int> g_recorded;
}  // namespace

void record(int value) {
    std::lock_guard lock(g_recorded_mutex);
    g_recorded.push_back(value);
}

std::vector<int> recorded() {
    std::lock_guard lock(g_recorded_mutex);
    return g_recorded;
}

std::string print_line(const std::string& line) {
    std::cout << line << std::endl;
    return line;
}

int print_bulk(int lines, int width) {
    std::string body(static_cast<std::size_t>(width), 'x');
    for (int i = 0; i < lines; ++i) {
        std::cout << "bulk " << i << " " << body << "\n";
    }
    std::cout.flush();
    return lines;
}

std::string whoami(tether::CallContext& cc) {
    return cc.router().myself().name() + "|" + cc.caller().name() + "|" +
           std::to_string(cc.parent().id()) + "|" + std::to_string(cc.router().myself().id());
}

std::size_t max_message_size(tether::CallContext& cc) {
    return cc.router().options().max_message_size;
}

tether::Context start_local_here(tether::CallContext& cc) {
    return cc.router().local();
}

int call_add_in_new_child(tether::CallContext& cc, int a, int b) {
    tether::Context child = cc.router().local();
    int r = child.call(add, a, b);
    child.shutdown(true);
    return r;
}

int sleep_in(tether::CallContext&, tether::Context target, std::string marker, int ms) {
    return target.call(touch_and_sleep, marker, ms);
}

int touch_and_sleep(std::string marker, int ms) {
    if (!marker.empty()) {
        std::ofstream(marker) << "here\n";
    }
    return sleep_ms(ms);
}

std::string temp_path(const std::string& stem) {
    static std::atomic<int> counter{0};  // tests name files from several threads
    return "/tmp/tether-test-" + stem + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(++counter);
}

bool wait_for_file(const std::string& path) {
    // Bounded: 10 s of 1 ms polls for a file another process creates.
    for (int i = 0; i < 10000; ++i) {
        if (::unlink(path.c_str()) == 0) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
}

int add_in_parent(tether::CallContext& cc, int a, int b) {
    return cc.parent().call(add, a, b);
}

std::string greet_in_parent(tether::CallContext& cc, std::string who) {
    return cc.parent().call(greet, who);
}

void write_raw_to_parent(tether::CallContext& cc, std::string bytes) {
    cc.router().core().parent_stream()->write_raw(std::move(bytes));
}

std::string raw_frame(std::uint32_t dst, std::uint32_t src, std::uint32_t handle,
                      std::string payload, std::optional<std::uint32_t> length) {
    tether::detail::Message m;
    m.header.dst = dst;
    m.header.src = src;
    m.header.auth = src;
    m.header.handle = handle;
    m.payload = std::move(payload);
    auto header = tether::detail::encode_header(m);
    std::string bytes(header.begin(), header.end());
    if (length) {
        for (int i = 0; i < 4; ++i) {  // little-endian, the header's last field
            bytes[tether::detail::kHeaderSize - 4 + i] = static_cast<char>(*length >> (8 * i));
        }
    }
    return bytes + m.payload;
}

std::string forge_authority_during_a_master_call(tether::CallContext& cc) {
    auto& core = cc.router().core();
    tether::Context master(core.ref(0));
    tether::Context parent = cc.parent();
    // Registered under `handle` before it is sent; the master takes 500 ms.
    std::uint32_t handle = core.next_reply_handle();
    auto answer = master.call_async(sleep_ms, 500);
    tether::detail::Message m;
    m.header.dst = parent.id();
    m.header.src = core.id();
    m.header.auth = 0;  // the master's
    m.header.handle = tether::detail::kCall;
    m.header.reply_to = handle;
    m.payload = tether::detail::encode_call(parent.ref(), add, 1, 2);
    auto header = tether::detail::encode_header(m);
    write_raw_to_parent(cc, std::string(header.begin(), header.end()) + m.payload);
    try {
        answer.get();
        return "served";
    } catch (const tether::ChannelError& e) {
        return e.reason();
    }
}

void write_raw_then_exit(tether::CallContext& cc, std::string bytes) {
    auto parent = cc.router().core().parent_stream();
    parent->write_raw(std::move(bytes));
    parent->wait_flushed(std::chrono::seconds(10));
    _exit(0);
}

int write_raw_then_return(tether::CallContext& cc, std::string bytes, int value) {
    auto parent = cc.router().core().parent_stream();
    parent->write_raw(std::move(bytes));
    parent->wait_flushed(std::chrono::seconds(10));
    return value;
}

std::string reply_too_large(int bytes) {
    return std::string(static_cast<std::size_t>(bytes), 'r');
}

bool on_main_thread() {
    return ::gettid() == ::getpid();
}

int nonblocking_stdio() {
    int bits = 0;
    for (int fd = 0; fd < 3; ++fd) {
        if ((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0) {
            bits |= 1 << fd;
        }
    }
    return bits;
}

}  // namespace tt

TETHER_EXPORT(tt::add);
TETHER_EXPORT(tt::greet);
TETHER_EXPORT(tt::pid);
TETHER_EXPORT(tt::argv0);
TETHER_EXPORT(tt::euid);
TETHER_EXPORT(tt::env_of);
TETHER_EXPORT(tt::doubled);
TETHER_EXPORT(tt::count_words);
TETHER_EXPORT(tt::maybe);
TETHER_EXPORT(tt::tuple_of);
TETHER_EXPORT(tt::variant_of);
TETHER_EXPORT(tt::move_point);
TETHER_EXPORT(tt::echo_blob);
TETHER_EXPORT(tt::reveal);
TETHER_EXPORT(tt::fail_with_secret);
TETHER_EXPORT(tt::fail_with_nested_secrets);
TETHER_EXPORT(tt::nothing);
TETHER_EXPORT(tt::fail_std);
TETHER_EXPORT(tt::fail_custom);
TETHER_EXPORT(tt::fail_int);
TETHER_EXPORT(tt::sleep_ms);
TETHER_EXPORT(tt::crash);
TETHER_EXPORT(tt::exit_now);
TETHER_EXPORT(tt::record);
TETHER_EXPORT(tt::recorded);
TETHER_EXPORT(tt::print_line);
TETHER_EXPORT(tt::print_bulk);
TETHER_EXPORT(tt::whoami);
TETHER_EXPORT(tt::max_message_size);
TETHER_EXPORT(tt::start_local_here);
TETHER_EXPORT(tt::call_add_in_new_child);
TETHER_EXPORT(tt::sleep_in);
TETHER_EXPORT(tt::touch_and_sleep);
TETHER_EXPORT(tt::add_in_parent);
TETHER_EXPORT(tt::greet_in_parent);
TETHER_EXPORT(tt::write_raw_to_parent);
TETHER_EXPORT(tt::forge_authority_during_a_master_call);
TETHER_EXPORT(tt::write_raw_then_exit);
TETHER_EXPORT(tt::write_raw_then_return);
TETHER_EXPORT(tt::reply_too_large);
TETHER_EXPORT(tt::nonblocking_stdio);
TETHER_EXPORT(tt::on_main_thread);
