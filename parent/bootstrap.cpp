#include "parent/bootstrap.hpp"

#include <random>

namespace tether::detail {

BootstrapPlan plan_bootstrap(std::chrono::milliseconds connect_timeout,
                             const std::map<std::string, std::string>& env) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::random_device random;
    std::string marker = "tether-";
    for (int i = 0; i < 4; ++i) {
        std::uint32_t bits = random();
        for (int j = 0; j < 4; ++j, bits >>= 4) {
            marker += kHex[bits & 0xf];
        }
    }
    BootstrapPlan plan;
    plan.marker = std::move(marker);
    plan.image = &this_program();
    plan.portable = portable_program();
    auto seconds = std::chrono::ceil<std::chrono::seconds>(connect_timeout);
    plan.timeout = std::max(seconds, std::chrono::seconds(1));
    plan.env = env;
    return plan;
}

const ProgramImage* image_named(const BootstrapPlan& plan, std::string_view sha256) {
    for (const ProgramImage* image : {plan.image, plan.portable}) {
        if (image != nullptr && image->sha256 == sha256) {
            return image;
        }
    }
    return nullptr;
}

const std::string& bootstrap_script() {
    // $1 marker, $2 sha256, $3 size, $4 upload timeout (s), $5 the glibc
    // version the program needs and $6 its loader ("-": static), $7 sha256
    // and $8 size of the portable build ("-": none), $9 "gzip" when the
    // parent can send compressed, then K=V to export.
    // Lines it prints for the parent: "<marker> START" once the shell runs
    // (any password dialog is over), "HAVE" (cached), "SEND <sha256> raw"
    // (waiting for exactly that image's bytes on stdin) or "SEND <sha256>
    // gzip" (waiting for a line with a length, then that many bytes of
    // gzip), "GOT" (stored), "FAIL <phase>: <why>"; the program itself then
    // prints "<marker> RUN".
    static const std::string script =
        "set -f; umask 077; m=${1} h=${2} s=${3} w=${4} g=${5} i=${6} ph=${7} pn=${8} z=${9}; "
        "shift 9; "
        "say() { printf '%s %s\\n' \"${m}\" \"${*}\"; }; "
        "fail() { say \"FAIL ${*}\"; exit 1; }; "
        "say START; "
        "for e in \"${@}\"; do export \"${e}\" || fail \"bootstrap: bad environment entry\"; done; "
        "o=${PATH}; PATH=/usr/bin:/bin:${PATH}; "
        // A pipe (sudo with I/O logging) may come non-blocking; reopening it
        // gives this shell a blocking one. Sockets and terminals are left be.
        "if [ -p /dev/stdin ]; then exec </dev/stdin; fi; "
        // The effective uid, read by the shell itself where /proc allows:
        // every exec costs milliseconds, and this path runs on every start.
        "u=; if [ -r /proc/self/status ]; then while read -r k a b r; do case ${k} in Uid:) "
        "u=${b}; break;; esac; done </proc/self/status; fi; "
        "[ -n \"${u}\" ] || u=$(id -u) || fail \"bootstrap: id -u failed\"; "
        "d=; for c in \"${XDG_CACHE_HOME:+${XDG_CACHE_HOME}/tether}\" "
        "\"${HOME:+${HOME}/.cache/tether}\" \"/tmp/tether-${u}\"; do "
        "case ${c} in /*) ;; *) continue;; esac; "
        "{ [ -d \"${c}\" ] || mkdir -p \"${c}\" 2>/dev/null; } && [ -w \"${c}\" ] && d=${c} && "
        "break; done; "
        "[ -n \"${d}\" ] || fail \"bootstrap: no usable cache directory "
        "(tried XDG_CACHE_HOME, HOME and /tmp)\"; "
        // own NAME...: every NAME in ${d} (the directory itself is '.') is
        // owned by ${u} and not writable by group or others; one ls for all,
        // run inside ${d} so that no name has a space to split on.
        "own() { k=${#}; set -- $(cd \"${d}\" && LC_ALL=C ls -ldn \"${@}\"); "
        "[ ${#} = $((k * 9)) ] || return 1; while [ ${#} -gt 0 ]; do "
        "[ \"${3}\" = \"${u}\" ] || return 1; case ${1} in ?????w*|????????w*) return 1;; esac; "
        "shift 9; done; }; "
        "bad() { fail \"bootstrap: refusing ${*}: it must be owned by uid ${u} and not writable "
        "by group or others\"; }; "
        // The portable build, when the program is cached as that one.
        "[ \"${ph}\" != - ] && [ ! -f \"${d}/${h}\" ] && [ -f \"${d}/${ph}\" ] && h=${ph}; "
        "p=${d}/${h}; "
        "if [ -f \"${p}\" ]; then "
        "own . \"${h}\" || { own . || bad cache directory \"${d}\"; bad \"${p}\"; }; say HAVE; "
        "else own . || bad cache directory \"${d}\"; "
        // Before the first upload only (the cached path costs nothing
        // more): can this target's C library run the program? If not, the
        // portable build goes instead, or the parent hears why not.
        "if [ \"${g}\" != - ]; then n=; "
        "if [ ! -e \"${i}\" ]; then n=\"the target has no glibc (no ${i}); this program needs "
        "glibc ${g}\"; "
        "else v=$(getconf GNU_LIBC_VERSION 2>/dev/null); v=${v#glibc }; "
        "case ${v} in [0-9]*.[0-9]*) x=${v%%.*} y=${g%%.*}; "
        "if [ \"${x}\" -lt \"${y}\" ] || { [ \"${x}\" -eq \"${y}\" ] && "
        "x=${v#*.} && y=${g#*.} && [ \"${x%%.*}\" -lt \"${y%%.*}\" ]; }; then "
        "n=\"the target's glibc ${v} is older than this program needs (${g})\"; fi;; esac; fi; "
        "if [ -n \"${n}\" ]; then [ \"${ph}\" != - ] || fail \"exec: ${n}; build with "
        "TETHER_PORTABLE\"; h=${ph} s=${pn} p=${d}/${ph}; fi; fi; "
        "t=${d}/.${h}.${$}; exec 3<&0; "
        // Exactly the image's bytes, in the background so that a watchdog
        // can end a read that never completes; EOF ends it at once. Its
        // compressed length comes first, on a line of its own.
        "if [ \"${z}\" = gzip ] && command -v gzip >/dev/null; then say \"SEND ${h} gzip\"; "
        "read -r c <&3 || fail \"upload: no length\"; "
        "head -c \"${c}\" <&3 3<&- | gzip -dc >\"${t}\" & r=${!}; "
        "else say \"SEND ${h} raw\"; head -c \"${s}\" <&3 >\"${t}\" 3<&- & r=${!}; fi; "
        // The trap is set before sleep starts, and ${!} names sleep once it
        // runs: killing the watchdog never leaves a sleep behind.
        "( trap 'kill ${!}; exit 0' TERM; sleep \"${w}\" & wait ${!}; kill ${r} ) "
        ">/dev/null 2>&1 & k=${!}; "
        "wait ${r}; x=${?}; kill ${k} 2>/dev/null; wait ${k}; exec 3<&-; "
        "[ \"${x}\" = 0 ] || { rm -f \"${t}\"; fail \"upload: reading the program failed "
        "(status ${x})\"; }; "
        "n=$(wc -c <\"${t}\"); [ ${n} -eq ${s} ] || { rm -f \"${t}\"; "
        "fail \"upload: short input: received ${n} of ${s} bytes\"; }; "
        "command -v sha256sum >/dev/null || { rm -f \"${t}\"; "
        "fail \"upload: sha256sum is missing on the target\"; }; "
        "set -- $(sha256sum \"${t}\"); [ \"${1}\" = \"${h}\" ] || { rm -f \"${t}\"; "
        "fail \"upload: checksum mismatch\"; }; "
        "chmod 700 \"${t}\" && mv -f \"${t}\" \"${p}\" || { rm -f \"${t}\"; "
        "fail \"upload: cannot install ${p}\"; }; "
        // On an upload only (the cached path costs nothing more): programs
        // not run for two weeks (atime, which relatime still moves daily)
        // and temporaries of uploads killed a day ago go, so the cache stays
        // bounded as masters change versions. Best effort: a find without
        // these options prunes nothing.
        "(cd \"${d}\" && "
        "g=???????????????????????????????????????????????????????????????? && "
        "find . -maxdepth 1 -type f "
        "\\( -name \"${g}\" -atime +13 -o -name \".${g}.*\" -mmin +1440 \\) "
        "! -name \"${h}\" -exec rm -f {} +) </dev/null >/dev/null 2>&1; "
        "say GOT; fi; "
        "[ -x \"${p}\" ] || fail \"exec: cannot execute ${p}: is ${d} on a filesystem mounted "
        "noexec?\"; "
        "export PATH=\"${o}\" TETHER_CHILD=1 TETHER_PARENT_PID=0 TETHER_BOOT_MARKER=\"${m} RUN\"; "
        "exec \"${p}\"";
    return script;
}

namespace {

std::string or_dash(const std::string& word) {
    return word.empty() ? "-" : word;
}

}  // namespace

std::vector<std::string> bootstrap_argv(const BootstrapPlan& plan) {
    std::vector<std::string> argv = {
        "/bin/sh",
        "-c",
        bootstrap_script(),
        "tether",
        plan.marker,
        plan.image->sha256,
        std::to_string(plan.image->size),
        std::to_string(plan.timeout.count()),
        or_dash(plan.image->interpreter.empty() ? std::string() : plan.image->glibc),
        or_dash(plan.image->interpreter),
        or_dash(plan.portable ? plan.portable->sha256 : ""),
        plan.portable ? std::to_string(plan.portable->size) : "-",
        plan.compress ? "gzip" : "raw"};
    for (const auto& [key, value] : plan.env) {
        argv.push_back(key + "=" + value);
    }
    return argv;
}

std::string shell_quote(std::string_view word) {
    bool plain = !word.empty();
    for (char c : word) {
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == '/' || c == '=' || c == ':' ||
                    c == '@' || c == ',' || c == '+';
        plain = plain && safe;
    }
    if (plain) {
        return std::string(word);
    }
    std::string out = "'";
    for (char c : word) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

std::string shell_join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& word : words) {
        if (!out.empty()) {
            out += ' ';
        }
        out += shell_quote(word);
    }
    return out;
}

}  // namespace tether::detail
