#!/usr/bin/env bash
# The perimeter end to end: a real upstream stand-in on loopback (tests/clients/standin.mjs records
# what it receives), `sekisho serve --toy --config`, the official SDKs, and a hostile client.
set -euo pipefail
SEKISHO=$1
command -v node >/dev/null || { echo "SKIP: node not installed"; exit 77; }
[ -d tests/clients/node_modules/openai ] || { echo "SKIP: run npm ci in tests/clients"; exit 77; }
source "$(dirname "$0")/lib_serve.sh"
node tests/clients/standin.mjs "$TMP/up.port" "$TMP/rec.jsonl" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$TMP/up.port" ] && break; sleep 0.1; done
UP=$(cat "$TMP/up.port")
cat >"$TMP/gate.yaml" <<YAML
default_local: sekisho-toy
key_limits: {requests_per_minute: 100000}
tenants:
  - id: yushi
    name: 融資部
    models: [sekisho-toy, claude, gpt-nobasis]
    reidentify: true
    budget_jpy: 100
  - id: eigyo
    name: 営業店
    models: [sekisho-toy]
models:
  - id: sekisho-toy
    provider: local
  - id: claude
    provider: anthropic
    base_url: http://127.0.0.1:$UP
    upstream_model: claude-standin
    art28_basis: consent
    max_data_class: personal
    price_in_jpy_per_mtok: 1000
    price_out_jpy_per_mtok: 5000
  - id: gpt-nobasis
    provider: openai
    base_url: http://127.0.0.1:$UP
    max_data_class: personal
YAML
key() { "$SEKISHO" --data-dir "$TMP/data-gate" keys create "$@" | sed 's/.*"key":"\([^"]*\)".*/\1/'; }
K_ANY=$(key --tenant yushi --user tanaka --residency any)
K_ONPREM=$(key --tenant yushi --user sato --residency onprem)
K_EIGYO=$(key --tenant eigyo --user suzuki --residency any)
K_REVOKED_JSON=$("$SEKISHO" --data-dir "$TMP/data-gate" keys create --tenant yushi --user old --residency any)
K_REVOKED=$(echo "$K_REVOKED_JSON" | sed 's/.*"key":"\([^"]*\)".*/\1/')
"$SEKISHO" --data-dir "$TMP/data-gate" keys revoke "$(echo "$K_REVOKED_JSON" | sed 's/.*"id":"\([^"]*\)".*/\1/')" >/dev/null
start_server gate --toy --config "$TMP/gate.yaml"
U="$BASE/v1/chat/completions"
rec_count() { [ -f "$TMP/rec.jsonl" ] && wc -l <"$TMP/rec.jsonl" || echo 0; }
chat() { printf '{"model":"%s","max_tokens":16,"messages":[{"role":"user","content":"%s"}]}' "$1" "$2"; }

# 1. personal data is pseudonymised on the way out and re-identified on the way back
expect_status 200 "$U" -H "Authorization: Bearer $K_ANY" -d "$(chat claude '田中太郎さんの電話番号は090-1234-5678です。')"
body_has 'ECHO: 田中太郎さんの電話番号は090-1234-5678です。'
grep -qi 'X-Sekisho-Route: anthropic:claude' "$TMP/headers" || fail "route header"
grep -qi 'X-Sekisho-Data-Class: personal' "$TMP/headers" || fail "class header"
grep -q 'PERSON_' "$TMP/rec.jsonl" || fail "upstream did not get a pseudonym"
if grep -q '田中\|090-1234-5678' "$TMP/rec.jsonl"; then fail "personal data reached the upstream in clear"; fi

# 2. My Number never goes external (rerouted to the local model); upstream sees nothing
n=$(rec_count)
expect_status 200 "$U" -H "Authorization: Bearer $K_ANY" -d "$(chat claude 'マイナンバーは123456789018です。')"
grep -qi 'X-Sekisho-Route: local:' "$TMP/headers" || fail "My Number not kept local"
[ "$(rec_count)" = "$n" ] || fail "a My Number request reached the upstream"
if grep -q '123456789018' "$TMP/rec.jsonl"; then fail "My Number leaked"; fi

# 3. a route without an Art. 28 basis is never used, even for public data
expect_status 200 "$U" -H "Authorization: Bearer $K_ANY" -d "$(chat gpt-nobasis 'こんにちは')"
grep -qi 'X-Sekisho-Route: local:' "$TMP/headers" || fail "no-basis route used"
[ "$(rec_count)" = "$n" ] || fail "a no-basis route reached the upstream"

# 4. hostile clients: forged, revoked, other tenant, header-asserted residency, malformed, oversized
expect_status 401 "$U" -H "Authorization: Bearer sk-sekisho-0000000000000000-forgedforgedforgedforgedforgedforgedforg" -d "$(chat claude hi)"
expect_status 401 "$U" -H "Authorization: Bearer ${K_ANY%?}x" -d "$(chat claude hi)"
expect_status 401 "$U" -H "Authorization: Bearer $K_REVOKED" -d "$(chat claude hi)"
body_has 'revoked'
expect_status 401 "$U" -d "$(chat claude hi)"
expect_status 403 "$U" -H "Authorization: Bearer $K_EIGYO" -d "$(chat claude hi)"
expect_status 200 "$U" -H "Authorization: Bearer $K_ONPREM" -H "X-Sekisho-Residency: any" -H "X-Residency: external" \
  -d "$(chat claude 'public question')"
grep -qi 'X-Sekisho-Route: local:' "$TMP/headers" || fail "a header changed the key's residency"
[ "$(rec_count)" = "$n" ] || fail "onprem key reached the upstream"
expect_status 400 "$U" -H "Authorization: Bearer $K_ANY" -d '{"model":"claude","messages":[{"role":'
head -c 5000000 /dev/zero | tr '\0' a >"$TMP/big"
expect_status 413 "$U" -H "Authorization: Bearer $K_ANY" --data-binary @"$TMP/big"

# 5. (before the race, which exhausts the budget) the official SDKs, unchanged, through the perimeter to the external route (stream and not)
node tests/clients/gate_sdk.mjs "$BASE" "$K_ANY" || fail "SDK clients"

# 6. budget race: 64 concurrent requests against a 100-yen budget; spend never exceeds it
seq 1 64 | xargs -P 64 -I{} curl -s -o /dev/null -w '%{http_code}\n' "$U" -H "Authorization: Bearer $K_ANY" \
  -d '{"model":"claude","max_tokens":400,"messages":[{"role":"user","content":"budget {}"}]}' >"$TMP/race"
ok=$(grep -c '^200$' "$TMP/race" || true); limited=$(grep -c '^429$' "$TMP/race" || true)
[ $((ok + limited)) = 64 ] || fail "race: unexpected statuses $(sort "$TMP/race" | uniq -c)"
[ "$limited" -gt 0 ] || fail "race: the budget never ran out"

# a request over the exhausted budget is told when to come back (the gate's own estimate, not a constant)
# (the race may end with a little budget left: each success spends some, so a 429 comes soon)
for _ in $(seq 1 60); do
  hdrs=$(curl -s -D - -o /dev/null "$U" -H "Authorization: Bearer $K_ANY" \
    -d '{"model":"claude","max_tokens":400,"messages":[{"role":"user","content":"after the race"}]}')
  echo "$hdrs" | grep -q '^HTTP/1.1 429' && break
done
echo "$hdrs" | grep -q '^HTTP/1.1 429' || fail "no 429 after the budget ran out"
ra=$(echo "$hdrs" | tr -d '\r' | awk 'tolower($1)=="retry-after:" {print $2}')
[ -n "$ra" ] && [ "$ra" -ge 1 ] || fail "429 without a usable Retry-After ($ra)"

# every denial is in the audit log; the sum of posted costs stays within the budget
sleep 0.5
A="$TMP/data-gate/audit/records.log"
for s in 400 401 403 413 429; do grep -aq "\"status\":$s" "$A" || fail "no audit record of a $s denial"; done
spent=$(grep -ao '"cost":[0-9]*' "$A" | awk -F: '{s+=$2} END {print s+0}')
[ "$spent" -le 100 ] || fail "spent $spent yen of a 100-yen budget"
echo "gate e2e: ok=$ok limited=$limited spent=${spent}JPY/100"
curl -s "$BASE/metrics" | grep -q 'sekisho_gate_added_latency_ms_count' || fail "metrics"
echo PASS
