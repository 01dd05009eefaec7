#!/usr/bin/env bash
# `sekisho tokenize` contract: one JSON line {"tokens":[...]}; default = BOS per metadata and
# special tokens parsed; --raw = neither; usage errors exit 2, failures exit 1.
# Expected ids are llama.cpp's (../shared/oracle/ref/qwen2-Q8_0.json, llama-spm-Q8_0.json).
# Skips (77) when the oracle models are absent.
set -u
BIN="$1"
M=../shared/oracle/models
fail=0
check() { # name expected actual
  if [ "$2" != "$3" ]; then echo "FAIL $1: want $2 got $3"; fail=1; else echo "ok $1"; fi
}
"$BIN" tokenize --help >/dev/null || { echo "FAIL --help"; fail=1; }
"$BIN" tokenize >/dev/null 2>&1; check "no -m exits 2" 2 $?
"$BIN" tokenize -m /nonexistent.gguf hi >/dev/null 2>&1; check "missing model exits 1" 1 $?
if [ ! -f "$M/qwen2-Q8_0.gguf" ] || [ ! -f "$M/llama-spm-Q8_0.gguf" ]; then
  echo "SKIP: oracle models absent under $M"; exit 77
fi
check "qwen2 default" '{"tokens":[151644,872,198,3838,374,220,17,10,17,30,151645,198]}' \
  "$("$BIN" tokenize -m $M/qwen2-Q8_0.gguf $'<|im_start|>user\nWhat is 2+2?<|im_end|>\n')"
check "qwen2 --raw" '{"tokens":[27,91,318,4906,91,29]}' \
  "$("$BIN" tokenize -m $M/qwen2-Q8_0.gguf --raw '<|im_start|>')"
check "spm default (BOS)" '{"tokens":[1,15043,29892,3186,29991]}' \
  "$("$BIN" tokenize -m $M/llama-spm-Q8_0.gguf 'Hello, world!')"
check "spm --raw" '{"tokens":[15043,29892,3186,29991]}' \
  "$("$BIN" tokenize -m $M/llama-spm-Q8_0.gguf --raw 'Hello, world!')"
tmp=$(mktemp); printf 'Hello, world!' >"$tmp"
check "spm -f FILE" '{"tokens":[1,15043,29892,3186,29991]}' \
  "$("$BIN" tokenize -m $M/llama-spm-Q8_0.gguf -f "$tmp")"
rm -f "$tmp"
exit $fail
