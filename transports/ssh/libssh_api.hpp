// libssh, loaded when the first SSH connection is made rather than linked:
// the program is shipped to targets that may lack libssh, and only a
// context that itself opens SSH connections needs it. Internal.
#pragma once

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>  // ssh_send_keepalive, which clients may use too

#include <string>
#include <vector>

namespace tether::detail {

// Every libssh function tether calls, as a pointer resolved from the library.
// clang-format off
#define TETHER_LIBSSH_FUNCTIONS(X) \
    X(ssh_init) X(ssh_new) X(ssh_free)                                                             \
    X(ssh_options_set) X(ssh_set_blocking) X(ssh_connect)                                          \
    X(ssh_disconnect) X(ssh_get_error) X(ssh_get_poll_flags)                                       \
    X(ssh_blocking_flush) X(ssh_get_status) X(ssh_get_fd)                                          \
    X(ssh_set_counters) X(ssh_get_serverbanner) X(ssh_send_keepalive)                              \
    X(ssh_session_is_known_server) X(ssh_session_update_known_hosts) X(ssh_get_server_publickey)   \
    X(ssh_get_publickey_hash) X(ssh_get_fingerprint_hash) X(ssh_clean_pubkey_hash)                 \
    X(ssh_string_free_char) X(ssh_key_free) X(ssh_key_type)                                        \
    X(ssh_key_type_to_char) X(ssh_pki_import_privkey_file) X(ssh_userauth_none)                    \
    X(ssh_userauth_list) X(ssh_userauth_agent) X(ssh_userauth_publickey)                           \
    X(ssh_userauth_password) X(ssh_userauth_kbdint) X(ssh_userauth_kbdint_getnprompts)             \
    X(ssh_userauth_kbdint_getprompt) X(ssh_userauth_kbdint_setanswer) X(ssh_channel_new)           \
    X(ssh_channel_free) X(ssh_channel_open_session) X(ssh_channel_request_exec)                    \
    X(ssh_channel_read_nonblocking) X(ssh_channel_write) X(ssh_channel_window_size)                \
    X(ssh_channel_send_eof) X(ssh_channel_close)                             \
    X(ssh_channel_is_closed) X(ssh_channel_get_exit_status) X(ssh_channel_request_send_signal)     \
    X(ssh_set_channel_callbacks) X(ssh_set_log_callback) X(ssh_set_log_level)                     \
    X(ssh_options_parse_config) X(ssh_options_get) X(ssh_options_get_port)
// clang-format on

struct LibSsh {
#define TETHER_LIBSSH_POINTER(name) decltype(&::name) name = nullptr;
    TETHER_LIBSSH_FUNCTIONS(TETHER_LIBSSH_POINTER)
#undef TETHER_LIBSSH_POINTER
};

// Loads libssh.so.4 once, and points libssh's logging (per thread) of the
// calling thread at tether's. Throws tether::Error saying what is missing.
const LibSsh& libssh();

// While one lives, libssh's log lines on this thread are also kept in
// `lines` (libssh says some of its parse errors only there). One at a time
// per thread; the vector outlives it.
class LibSshLogCapture {
  public:
    explicit LibSshLogCapture(std::vector<std::string>& lines);
    ~LibSshLogCapture();
    LibSshLogCapture(const LibSshLogCapture&) = delete;
    LibSshLogCapture& operator=(const LibSshLogCapture&) = delete;
};

}  // namespace tether::detail
