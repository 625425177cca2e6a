#!/usr/bin/env bash
# Installs what tether needs, from Debian's packages only. Safe to run again;
# needs root (or sudo).
#
#   scripts/install-deps.sh [--test] [--bench] [PACKAGE...]
#
# Alone: what building the library and the tool needs, and sudo for the
# demo's sudo context (scripts/demo.sh). --test adds what the test suite needs
# (scripts/test.sh), among them openssh-server, which starts an sshd on port
# 22 when installed: only the tests and bench/compare ask for it. --bench adds
# what bench/ needs to build. PACKAGEs are installed too (bench/compare names
# its own).
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config
    libboost1.81-dev        # Asio and Process (the default libboost-dev is 1.74)
    libcereal-dev libspdlog-dev libfmt-dev
    libssh-dev              # SSH contexts (headers; libssh-4 is loaded at run time)
    zlib1g-dev              # compressed uploads (and libz.a for portable images)
    sudo passwd util-linux  # sudo and su (the demo's sudo target); useradd, su
)
test_packages=(
    libgtest-dev libgmock-dev
    libbenchmark-dev        # the suite builds bench/ too (bench_compare_smoke)
    procps                  # ps/pgrep for the orphan checks in tests
    openssh-server openssh-client iproute2  # the tests' own sshd, ssh-keygen, namespaces
    python3-mitogen         # bench_compare_smoke runs bench/mitogen_bench.py
    graphviz                # the CLI test renders `tether tree --dot` to SVG with dot
    debootstrap busybox-static  # the portable tests' Debian 11 and busybox-only roots
    podman                  # the podman method's tests run the real podman (nsenter: util-linux)
    docker.io               # the docker method's tests start a dockerd of their own (containerd, runc)
    opendoas                # the doas tests run the real doas
)
bench_packages=(libbenchmark-dev)

for arg in "$@"; do
    case $arg in
        --test) packages+=("${test_packages[@]}") ;;
        --bench) packages+=("${bench_packages[@]}") ;;
        -*) echo "usage: $0 [--test] [--bench] [PACKAGE...]" >&2; exit 2 ;;
        *) packages+=("$arg") ;;
    esac
done

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

run_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
export DEBIAN_FRONTEND=noninteractive
run_root apt-get update -qq
run_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
