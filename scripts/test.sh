#!/usr/bin/env bash
# The test command (README): installs what is missing, builds, and passes every test:
#   1. release build + ctest
#   2. AddressSanitizer/UBSan build + ctest
#   3. libFuzzer targets, each for a bounded time (SEKISHO_FUZZ_SECONDS, default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)

echo "== SDK test clients (npm ci: official openai and @anthropic-ai/sdk, pinned by package-lock.json)"
(cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)

echo "== release build"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$jobs"
(cd build/release && ctest --output-on-failure -j"$jobs")

echo "== ASan/UBSan build"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DSEKISHO_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$jobs"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$jobs")

echo "== fuzzing (libFuzzer, ${SEKISHO_FUZZ_SECONDS:-30}s per target)"
cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DSEKISHO_FUZZ=ON -DSEKISHO_TESTS=OFF >/dev/null
cmake --build build/fuzz -j"$jobs"
shopt -s nullglob
for f in build/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  corpus="build/fuzz/corpus-$name"
  mkdir -p "$corpus"
  seeds=()
  [ -d "tests/fuzz/seeds/$name" ] && seeds=("tests/fuzz/seeds/$name")
  echo "-- $name"
  "$f" -max_total_time="${SEKISHO_FUZZ_SECONDS:-30}" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 "$corpus" "${seeds[@]}" 2>&1 | tail -n 12
done
echo "== all tests passed"
