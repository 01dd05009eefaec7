#!/usr/bin/env bash
# Tokenizer throughput on ../shared/data/aozora: builds an optimised tree and runs
# bench_tokenize (MB/s, tok/s per vocabulary). Usage: bench/tokenize.sh [MODEL.gguf ...]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DSEKISHO_TESTS=OFF >/dev/null
cmake --build build/bench -j2 --target sk_engine >/dev/null
cc -O3 -std=c17 -D_GNU_SOURCE -Isrc bench/bench_tokenize.c build/bench/src/engine/libsk_engine.a \
  build/bench/src/base/libsk_base.a $(pkg-config --libs libutf8proc jansson) -lpthread -lm \
  -o build/bench/bench_tokenize
exec build/bench/bench_tokenize "$@"
