# Sourced by bench/run and bench/compare: builds tether_bench in Release and
# makes the user the SSH figures log in as.
# Environment: BUILD_DIR (default <repo>/build-bench), JOBS (default 2).

bench_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_build=${BUILD_DIR:-$bench_repo/build-bench}

build_tether_bench() {
    cmake -S "$bench_repo" -B "$bench_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DTETHER_BUILD_TESTS=OFF -DTETHER_BUILD_EXAMPLES=OFF -DTETHER_BUILD_BENCH=ON >/dev/null
    ninja -j"${JOBS:-2}" -C "$bench_build" tether_bench >/dev/null
}

# SSH starts log in as tt_bench, whose login shell is /bin/sh (root's may
# load a heavy rc file that would dominate both tether's figure and the floor).
# Its password field is '*' (no password), not useradd's '!' (locked): sshd
# without PAM refuses every login, keys included, to a locked account.
ensure_bench_user() {
    if [[ $(id -u) == 0 ]] && ! id tt_bench >/dev/null 2>&1; then
        useradd --create-home --shell /bin/sh --password '*' tt_bench
    fi
    if id tt_bench >/dev/null 2>&1; then
        export TETHER_BENCH_SSH_USER=${TETHER_BENCH_SSH_USER:-tt_bench}
    fi
}
