#!/usr/bin/env bash
# Installs the dependencies, builds the tether command-line tool and uses it:
# one command fanned out to several local contexts (one of them started
# inside another) and a sudo context, with each target's output as it
# arrives and a summary; then the tree of those contexts. No server to set
# up, and none installed: only the build dependencies and sudo
# (scripts/install-deps.sh without --test). Needs root, or a user whose sudo
# asks no password (otherwise it asks for it on the terminal).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build-demo -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTETHER_BUILD_TESTS=OFF -DTETHER_BUILD_EXAMPLES=OFF -DTETHER_BUILD_BENCH=OFF
cmake --build build-demo --parallel "$(nproc)" --target tether_tool
tether=./build-demo/tools/tether

# root becomes nobody; anyone else becomes root (asked for the password if sudo wants it).
become=(sudo:nobody)
if [ "$(id -u)" != 0 ]; then
    become=(sudo:root)
    sudo -n true 2>/dev/null || become=(-K sudo:root)
fi

set -x
"$tether" exec local,local,local/local "${become[@]}" -- \
    sh -c 'echo "hello from $(id -un) on $(hostname), pid $$"; sleep 0.2; echo "done after 0.2 s"'
"$tether" tree local,local/local "${become[@]}"
