#!/usr/bin/env bash
# `sekisho serve` driven by the official npm SDKs (openai, @anthropic-ai/sdk), streaming and
# not, and 16 simultaneous streaming clients that must each get their solo output.
# The clients are installed by scripts/test.sh (npm ci in tests/clients).
set -euo pipefail
SEKISHO=${1:?usage: serve_sdk.sh path/to/sekisho}
root=$(cd "$(dirname "$0")/../.." && pwd)
clients="$root/tests/clients"
command -v node >/dev/null || { echo "SKIP: node not installed (scripts/deps.txt: nodejs)"; exit 77; }
[ -d "$clients/node_modules/openai" ] && [ -d "$clients/node_modules/@anthropic-ai/sdk" ] ||
  { echo "SKIP: SDK clients not installed: run (cd tests/clients && npm ci) — scripts/test.sh does"; exit 77; }
. "$(dirname "$0")/lib_serve.sh"

start_server sdk --toy --parallel 16 --ctx 1024
node "$clients/sdk.mjs" "$BASE" sekisho-toy || fail "SDK checks"
node "$clients/concurrency.mjs" "$BASE" sekisho-toy 16 || fail "concurrency checks"
echo "serve_sdk: all checks passed"
