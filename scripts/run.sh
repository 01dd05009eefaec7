#!/usr/bin/env bash
# The main job (README): installs what is missing, builds, and starts Sekisho with its embedded
# defaults under ./sekisho-data (or $SEKISHO_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DSEKISHO_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)"
exec build/release/sekisho "$@" demo
