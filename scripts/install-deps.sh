#!/usr/bin/env bash
# Installs everything tether needs to build, test and run its demo, from
# Debian's packages only, plus any packages named as arguments (bench/compare
# adds its own). Safe to run again; needs root (or sudo).
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config
    libboost1.81-dev        # Asio and Process (the default libboost-dev is 1.74)
    libcereal-dev libspdlog-dev libfmt-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    procps                  # ps/pgrep for the orphan checks in tests
    sudo passwd util-linux  # sudo/su contexts; useradd for the tests' throwaway users
    libssh-dev              # SSH contexts (headers; libssh-4 is loaded at run time)
    openssh-server openssh-client iproute2  # the tests' own sshd, ssh-keygen, namespaces
    python3-mitogen         # bench/mitogen_bench.py's smoke test (bench/compare's Mitogen side)
    graphviz                # the CLI test renders `tether tree --dot` to SVG with dot
    "$@"
)

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
