#!/usr/bin/env bash
# `sekisho serve` over curl: endpoints, error shapes and codes, bounds, 429, cancellation on
# disconnect, and graceful SIGTERM. Uses the deterministic toy model (no weights needed).
set -euo pipefail
SEKISHO=${1:?usage: serve_api.sh path/to/sekisho}
command -v curl >/dev/null || { echo "SKIP: curl not installed (scripts/deps.txt)"; exit 77; }
. "$(dirname "$0")/lib_serve.sh"

# --help documents every long option the parser accepts (read from the option table)
help=$("$SEKISHO" serve --help)
opts=$(grep -o '{"[a-z-]*", [a-z_]*_argument' "$(dirname "$0")/../../src/cli/cmd_serve.c" | cut -d'"' -f2)
[ -n "$opts" ] || fail "no option table found in src/cli/cmd_serve.c"
for o in $opts; do grep -q -- "--$o\b" <<<"$help" || fail "serve --help does not document --$o"; done

start_server main --toy --parallel 4 --ctx 256
M=sekisho-toy
CHAT="$BASE/v1/chat/completions"
J=(-H 'Content-Type: application/json')

expect_status 200 "$BASE/health"; body_has '"status":"ok"'
expect_status 200 "$BASE/v1/models"; body_has "\"id\":\"$M\""
expect_status 200 "${J[@]}" "$CHAT" -d "{\"model\":\"$M\",\"messages\":[{\"role\":\"user\",\"content\":\"こんにちは\"}],\"max_tokens\":12,\"seed\":1}"
body_has '"object":"chat.completion"'; body_has '"completion_tokens":12'
expect_status 200 "${J[@]}" "$BASE/v1/completions" -d "{\"model\":\"$M\",\"prompt\":\"abc\",\"max_tokens\":4}"
body_has '"object":"text_completion"'
expect_status 200 "${J[@]}" "$BASE/v1/messages" -d "{\"model\":\"$M\",\"max_tokens\":6,\"system\":\"s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
body_has '"type":"message"'; body_has '"stop_reason":"max_tokens"'

# streaming: OpenAI ends with [DONE]; Anthropic follows the exact event order
expect_status 200 -N "${J[@]}" "$CHAT" -d "{\"model\":\"$M\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":5,\"stream\":true}"
tail -n 2 "$TMP/body" | grep -q 'data: \[DONE\]' || fail "no [DONE] at the end of the stream"
grep -qi 'content-type: text/event-stream' "$TMP/headers" || fail "stream is not text/event-stream"
expect_status 200 -N "${J[@]}" "$BASE/v1/messages" -d "{\"model\":\"$M\",\"max_tokens\":5,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"
events=$(grep '^event: ' "$TMP/body" | sed 's/event: //' | uniq | tr '\n' ' ')
[ "$events" = "message_start content_block_start ping content_block_delta content_block_stop message_delta message_stop " ] \
  || fail "anthropic event order: $events"

# UTF-8 safety: no replacement characters or broken bytes in a stream with split characters
expect_status 200 -N "${J[@]}" "$CHAT" -d "{\"model\":\"$M\",\"messages\":[{\"role\":\"user\",\"content\":\"日本\"}],\"max_tokens\":120,\"seed\":7,\"stream\":true}"
iconv -f UTF-8 -t UTF-8 "$TMP/body" >/dev/null || fail "stream is not valid UTF-8"
grep -q '\\ufffd\|�' "$TMP/body" && fail "stream contains U+FFFD (a character was split)"

# errors: each API's own shape and status, field named
expect_status 400 "${J[@]}" "$CHAT" -d '{"model":'; body_has '"type":"invalid_request_error"'
expect_status 400 "${J[@]}" "$CHAT" -d "{\"model\":\"$M\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":7}"; body_has '"param":"top_p"'
expect_status 404 "${J[@]}" "$CHAT" -d '{"model":"gpt-x","messages":[{"role":"user","content":"x"}]}'; body_has '"code":"model_not_found"'
expect_status 404 "${J[@]}" "$BASE/v1/messages" -d '{"model":"claude-x","max_tokens":3,"messages":[{"role":"user","content":"x"}]}'
body_has '"type":"error"'; body_has '"not_found_error"'
printf '{"model":"%s","messages":[{"role":"user","content":"\xff\xfe"}]}' "$M" >"$TMP/bad.json"
expect_status 400 "${J[@]}" "$CHAT" --data-binary @"$TMP/bad.json"; body_has 'not valid UTF-8'
head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$TMP/big.json"
expect_status 413 "${J[@]}" "$BASE/v1/messages" --data-binary @"$TMP/big.json"; body_has 'request_too_large'
expect_status 413 -H 'Transfer-Encoding: chunked' "${J[@]}" "$CHAT" --data-binary @"$TMP/big.json"
expect_status 405 "$CHAT"
expect_status 404 "$BASE/v2/nothing"
long=$(head -c 400 /dev/zero | tr '\0' 'a')
expect_status 400 "${J[@]}" "$BASE/v1/completions" -d "{\"model\":\"$M\",\"prompt\":\"$long\"}"
body_has 'prompt is 400 tokens'; body_has 'limit is 256'
# the explicit opt-in: the same prompt, truncated from the start to fit (toy: one token per byte;
# max_tokens 16 leaves 240 prompt tokens), and the header says what was cut
expect_status 200 "${J[@]}" "$BASE/v1/completions" -d "{\"model\":\"$M\",\"prompt\":\"$long\",\"max_tokens\":16,\"sekisho\":{\"truncate\":\"start\"}}"
body_has '"prompt_tokens":240'
grep -qi '^X-Sekisho-Prompt-Truncated: messages=0; bytes=160; tokens_before=400' "$TMP/headers" || fail "no truncation header: $(cat "$TMP/headers")"
expect_status 200 "${J[@]}" "$CHAT" -d "{\"model\":\"$M\",\"max_tokens\":16,\"sekisho\":{\"truncate\":\"start\"},\"messages\":[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"$long\"},{\"role\":\"assistant\",\"content\":\"ok\"},{\"role\":\"user\",\"content\":\"q\"}]}"
grep -qi '^X-Sekisho-Prompt-Truncated: messages=2; bytes=0' "$TMP/headers" || fail "chat: oldest turns not dropped: $(cat "$TMP/headers")"
expect_status 400 "${J[@]}" "$CHAT" -d "{\"model\":\"$M\",\"sekisho\":{\"truncate\":\"middle\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"
body_has '"param":"sekisho.truncate"'
hdr=$(head -c 100000 /dev/zero | tr '\0' 'h')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $hdr" "$BASE/health" || true)
[ "${code:0:1}" = 4 ] || fail "oversized header got $code"
expect_status 200 "$BASE/health" # still serving after all of that

# cancellation: a client that disconnects mid-stream frees its slot
curl -sN "${J[@]}" "$CHAT" -d "{\"model\":\"$M\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":200,\"stream\":true}" \
  --max-time 0.3 >/dev/null 2>&1 || true
for _ in $(seq 1 50); do
  curl -s "$BASE/health" | grep -q '"active":0' && break
  sleep 0.05
done
curl -s "$BASE/health" | grep -q '"active":0' || fail "slot not freed after disconnect: $(curl -s "$BASE/health")"

expect_status 200 "$BASE/metrics"
for m in sekisho_requests_total sekisho_tokens_in_total sekisho_tokens_out_total sekisho_queue_depth \
  sekisho_time_to_first_token_seconds_bucket sekisho_generation_tokens_per_second_bucket; do
  body_has "$m"
done

# 429 with Retry-After once the bounded queue is full
start_server small --toy --parallel 1 --queue 1 --ctx 2048 --grace 1
LONG="{\"model\":\"$M\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1500,\"stream\":true}"
curl -sN "${J[@]}" "$BASE/v1/chat/completions" -d "$LONG" >"$TMP/s1" 2>/dev/null & c1=$!
sleep 0.3
curl -sN "${J[@]}" "$BASE/v1/chat/completions" -d "$LONG" >"$TMP/s2" 2>/dev/null & c2=$!
sleep 0.3
expect_status 429 "${J[@]}" "$BASE/v1/chat/completions" -d "$LONG"
grep -qiE '^retry-after: 1'$'\r''?$' "$TMP/headers" || fail "429 without Retry-After: 1 (HTTP_RETRY_AFTER_S): $(cat "$TMP/headers")"
body_has 'rate_limit'

# graceful SIGTERM: in-flight streams get --grace 1 s, then end with an error event and [DONE];
# the process exits 0 well before the streams could have finished on their own
t0=$(date +%s)
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "server exited non-zero after SIGTERM"
wait "$c1" "$c2" || true
[ $(( $(date +%s) - t0 )) -le 5 ] || fail "shutdown took longer than the grace period allows"
for s in s1 s2; do
  tail -n 3 "$TMP/$s" | grep -q '\[DONE\]' || fail "stream $s not terminated cleanly on shutdown"
done
grep -q 'shutting down' "$TMP/s1" || fail "stream 1 was not told the server is shutting down"
grep -q 'stopped' "$TMP/small.log" || fail "no shutdown message"
echo "serve_api: all checks passed"
