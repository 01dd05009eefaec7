#!/usr/bin/env bash
# `sekisho bench`: table and --json carry ppN/tgN tokens/s and resident memory, at every kernel
# level (SEKISHO_CPU caps it); usage errors exit 2, a missing model exits 1. Speed itself is not
# asserted (machines differ): bench/engine.sh reports it.
set -euo pipefail
BIN="$1"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$BIN" bench --help | grep -q -- "--n-prompt" || fail "bench --help"
"$BIN" gguf-synth --arch qwen2 --type Q8_0 -o "$T/q.gguf" >/dev/null
"$BIN" gguf-synth --arch llama --embd 256 --ff 512 --head-dim 64 --type Q4_K_M -o "$T/k.gguf" >/dev/null
for level in scalar avx2 avx512; do
  for m in q k; do
    SEKISHO_CPU=$level "$BIN" bench -m "$T/$m.gguf" -t 2 -p 16 -n 4 -r 2 --json >"$T/out.json"
    grep -q '"test": "pp16"' "$T/out.json" || fail "$level $m: no pp16"
    grep -q '"test": "tg4"' "$T/out.json" || fail "$level $m: no tg4"
    grep -q '"rss_kb": [1-9]' "$T/out.json" || fail "$level $m: no rss"
    grep -Eq '"avg_ts": [0-9]+\.[0-9]*[1-9]' "$T/out.json" || fail "$level $m: zero speed"
  done
done
"$BIN" bench -m "$T/q.gguf" -p 8 -n 0 -r 1 | grep -q "| pp8 |" || fail "table output"
set +e
"$BIN" bench -m "$T/q.gguf" -p -3 >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "bad -p should exit 2, got $rc"
"$BIN" bench >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "missing -m should exit 2, got $rc"
"$BIN" bench -m "$T/none.gguf" >/dev/null 2>&1; rc=$?
[ "$rc" = 1 ] || fail "missing model should exit 1, got $rc"
echo ok
