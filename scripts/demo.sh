#!/usr/bin/env bash
# Installs the dependencies, builds the getting-started example and runs it:
# local child contexts, calls into them, and a fan-out with Select.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build-demo -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTETHER_BUILD_TESTS=OFF -DTETHER_BUILD_EXAMPLES=ON -DTETHER_BUILD_BENCH=OFF
cmake --build build-demo --parallel "$(nproc)" --target getting_started
./build-demo/examples/getting_started
