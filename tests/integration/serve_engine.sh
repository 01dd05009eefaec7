#!/usr/bin/env bash
# `sekisho serve` with no model: generates the demo model (synthetic GGUF) once under the data
# directory and serves it through the real engine; the official SDKs and 16 simultaneous
# streaming clients (each must get exactly its solo output: batching must not change results).
set -euo pipefail
SEKISHO=${1:?usage: serve_engine.sh path/to/sekisho}
root=$(cd "$(dirname "$0")/../.." && pwd)
clients="$root/tests/clients"
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
. "$(dirname "$0")/lib_serve.sh"

start_server demo --parallel 16 --ctx 512
ls "$TMP"/data-demo/models/demo-*.gguf >/dev/null 2>&1 || fail "demo model not generated under the data directory"
expect_status 200 "$BASE/health"; body_has '"model":"sekisho-demo"'; body_has 'DEMO'
grep -q DEMO "$TMP/demo.log" || fail "startup line does not label the demo model"
expect_status 200 -H 'Content-Type: application/json' "$BASE/v1/chat/completions" \
  -d '{"model":"sekisho-demo","messages":[{"role":"user","content":"関所"}],"max_tokens":8,"seed":3}'
body_has '"completion_tokens":8'
long=$(head -c 3000 /dev/zero | tr '\0' 'a')
expect_status 400 -H 'Content-Type: application/json' "$BASE/v1/completions" \
  -d "{\"model\":\"sekisho-demo\",\"prompt\":\"$long\"}"
body_has 'limit is 512'
if command -v node >/dev/null && [ -d "$clients/node_modules/openai" ] && [ -d "$clients/node_modules/@anthropic-ai/sdk" ]; then
  node "$clients/sdk.mjs" "$BASE" sekisho-demo || fail "SDK checks on the engine"
  node "$clients/concurrency.mjs" "$BASE" sekisho-demo 16 || fail "concurrency checks on the engine"
else
  echo "note: SDK clients not installed (npm ci in tests/clients); curl checks only"
fi
echo "serve_engine: all checks passed"
