#!/usr/bin/env bash
# The main job (README): installs what is missing, builds, and starts Sekisho with its embedded
# defaults under ./sekisho-data (or $SEKISHO_DATA_DIR): `sekisho serve` on http://127.0.0.1:8080
# (a generated demo model unless serve options say otherwise). Global options go before
# `serve`, e.g. scripts/run.sh --data-dir /srv/sekisho; serve options via SEKISHO_SERVE_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DSEKISHO_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)"
exec build/release/sekisho "$@" serve ${SEKISHO_SERVE_ARGS:-}
