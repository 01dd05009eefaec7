#!/usr/bin/env bash
# `sekisho gguf-synth` and `sekisho info`: every arch writes a model info can read; same seed
# gives identical bytes; bad options are usage errors (exit 2); a missing file is a failure (1).
set -euo pipefail
BIN="$1"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$BIN" gguf-synth --help | grep -q -- "--arch" || fail "gguf-synth --help"
"$BIN" info --help | grep -q -- "--json" || fail "info --help"
for arch in llama qwen2 qwen3 gemma2 gemma3; do
  "$BIN" gguf-synth --arch "$arch" --type Q8_0 --seed 7 -o "$T/$arch.gguf" >/dev/null
  "$BIN" info "$T/$arch.gguf" | grep -q "^architecture:  $arch$" || fail "info $arch"
  "$BIN" info --json "$T/$arch.gguf" >"$T/$arch.json"
  grep -q "\"architecture\": \"$arch\"" "$T/$arch.json" || fail "info --json $arch"
  grep -q '"chat_template": true' "$T/$arch.json" || fail "chat template $arch"
done
"$BIN" gguf-synth --arch llama --type Q8_0 --seed 7 -o "$T/again.gguf" >/dev/null
cmp -s "$T/llama.gguf" "$T/again.gguf" || fail "same seed, different bytes"
"$BIN" gguf-synth --arch llama --type Q8_0 --seed 8 -o "$T/other.gguf" >/dev/null
if cmp -s "$T/llama.gguf" "$T/other.gguf"; then fail "different seeds, same bytes"; fi
"$BIN" gguf-synth --arch llama --embd 256 --ff 512 --head-dim 64 --type Q4_K_M -o "$T/k.gguf" >/dev/null
"$BIN" info "$T/k.gguf" | grep -q "Q6_K" || fail "Q4_K_M mix has Q6_K"
# default output goes under the data directory
"$BIN" --data-dir "$T/data" gguf-synth --arch qwen3 >/dev/null
test -f "$T/data/models/synth-qwen3-tiny-F32.gguf" || fail "default output path"
set +e
"$BIN" gguf-synth --arch nope -o "$T/x.gguf" 2>/dev/null; rc=$?
[ "$rc" = 2 ] || fail "unknown arch should exit 2, got $rc"
"$BIN" gguf-synth --arch llama --vocab 10 -o "$T/x.gguf" 2>/dev/null; rc=$?
[ "$rc" = 2 ] || fail "small vocab should exit 2, got $rc"
"$BIN" info "$T/missing.gguf" 2>/dev/null; rc=$?
[ "$rc" = 1 ] || fail "missing file should exit 1, got $rc"
head -c 100 "$T/llama.gguf" >"$T/trunc.gguf"
"$BIN" info "$T/trunc.gguf" 2>/dev/null; rc=$?
[ "$rc" = 1 ] || fail "truncated file should exit 1, got $rc"
set -e
echo "ok"
