#!/usr/bin/env bash
# Grounded chat and the verify endpoint over HTTP: ingests two laws from ../shared/data/laws into
# the server's data dir, asks with "sekisho": {"collection", "top_k"}, and checks that the answer
# carries citations whose chunk ids are real chunks of the collection (the toy model writes no
# [i] markers, so the test checks shape and ids, not which chunk is cited), that a stream ends
# with a citations chunk, that an unknown collection is a 404, and POST /v1/sekisho/verify.
set -euo pipefail
SEKISHO=${1:?usage: ground_http.sh path/to/sekisho}
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
LAW1=../shared/data/laws/銀行法.txt
LAW2=../shared/data/laws/個人情報の保護に関する法律.txt
for f in "$LAW1" "$LAW2"; do [ -f "$f" ] || { echo "SKIP: $f absent (../shared not mounted)"; exit 77; }; done
. "$(dirname "$0")/lib_serve.sh"

"$SEKISHO" --data-dir "$TMP/data-g" ingest "$LAW1" "$LAW2" --collection laws --quiet >"$TMP/ingest.log" 2>&1 ||
  fail "ingest: $(cat "$TMP/ingest.log")"
start_server g --toy --parallel 1 --ctx 8192
M=sekisho-toy
Q='銀行の資本金の額は？'
expect_status 200 -H 'Content-Type: application/json' "$BASE/v1/chat/completions" \
  -d "{\"model\":\"$M\",\"messages\":[{\"role\":\"user\",\"content\":\"$Q\"}],\"max_tokens\":16,\"seed\":1,\"sekisho\":{\"collection\":\"laws\",\"top_k\":3}}"
body_has '"citations":\['
# every chunk id cited must be one the collection returns for this question
"$SEKISHO" --data-dir "$TMP/data-g" retrieve --collection laws --query "$Q" --k 3 --json >"$TMP/hits.json"
for id in $(grep -o '"chunk_ids":\[[0-9,]*\]' "$TMP/body" | grep -o '[0-9][0-9]*'); do
  grep -q "\"chunk_id\": *$id\b\|\"id\": *$id\b" "$TMP/hits.json" || fail "citation chunk $id is not a retrieved chunk"
done
# streaming: the last data chunk before [DONE] carries the citations
expect_status 200 -N -H 'Content-Type: application/json' "$BASE/v1/chat/completions" \
  -d "{\"model\":\"$M\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"$Q\"}],\"max_tokens\":8,\"sekisho\":{\"collection\":\"laws\"}}"
grep -q '"citations":\[' "$TMP/body" || fail "stream has no citations chunk: $(tail -c 400 "$TMP/body")"
tail -n 3 "$TMP/body" | grep -q '\[DONE\]' || fail "stream does not end with [DONE]"
# errors
expect_status 404 -H 'Content-Type: application/json' "$BASE/v1/chat/completions" \
  -d "{\"model\":\"$M\",\"messages\":[{\"role\":\"user\",\"content\":\"$Q\"}],\"sekisho\":{\"collection\":\"nosuch\"}}"
body_has 'sekisho ingest'
expect_status 400 -H 'Content-Type: application/json' "$BASE/v1/chat/completions" \
  -d "{\"model\":\"$M\",\"messages\":[{\"role\":\"user\",\"content\":\"$Q\"}],\"sekisho\":{\"collection\":\"../x\"}}"
expect_status 400 -H 'Content-Type: application/json' "$BASE/v1/chat/completions" \
  -d "{\"model\":\"$M\",\"messages\":[{\"role\":\"user\",\"content\":\"$Q\"}],\"sekisho\":{\"collection\":\"laws\",\"top_k\":0}}"
# verify endpoint
SRC='銀行の資本金の額は、政令で定める額以上でなければならない。前項の政令で定める額は、十億円を下回つてはならない。'
TXT='銀行の資本金の額は、政令で定める額以上でなければならない。前項の政令で定める額は、二十億円を下回つてはならない。'
expect_status 200 -H 'Content-Type: application/json' "$BASE/v1/sekisho/verify" \
  -d "{\"sources\":[{\"name\":\"銀行法\",\"text\":\"$SRC\"}],\"text\":\"$TXT\"}"
body_has '"supported":1'; body_has '"contradicted":1'; body_has '"verdict":"contradicted"'
expect_status 400 -H 'Content-Type: application/json' "$BASE/v1/sekisho/verify" -d '{"text":"x"}'
expect_status 405 "$BASE/v1/sekisho/verify"
echo "ground_http: all checks passed"
