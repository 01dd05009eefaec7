#!/usr/bin/env bash
# Added latency of the whole perimeter (auth, scan, rate limit, policy, budget hold, durable audit,
# pseudonymise, relay, re-identify, audit, settle) against calling the upstream stand-in directly.
# usage: bash bench/gate.sh build-rel/sekisho [SECONDS]     (needs wrk and node)
set -euo pipefail
SEKISHO=$1; DUR=${2:-5}
TMP=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
STANDIN_NO_RECORD=1 node tests/clients/standin.mjs "$TMP/up.port" /dev/null & PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$TMP/up.port" ] && break; sleep 0.1; done
UP=$(cat "$TMP/up.port")
cat >"$TMP/g.yaml" <<YAML
tenants:
  - id: bench
    models: [claude]
    reidentify: true
    budget_jpy: 1000000000
models:
  - id: claude
    provider: anthropic
    base_url: http://127.0.0.1:$UP
    art28_basis: consent
    max_data_class: personal
    price_in_jpy_per_mtok: 1
    price_out_jpy_per_mtok: 1
YAML
KEY=$("$SEKISHO" --data-dir "$TMP/d" keys create --tenant bench --residency any | sed 's/.*"key":"\([^"]*\)".*/\1/')
"$SEKISHO" --data-dir "$TMP/d" serve --toy --port 0 --port-file "$TMP/sk.port" --config "$TMP/g.yaml" 2>"$TMP/serve.log" &
PIDS+=($!); SKPID=$!
TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; }  # utime + stime of a process, all threads
for _ in $(seq 1 300); do [ -s "$TMP/sk.port" ] && break; sleep 0.1; done
SK=$(cat "$TMP/sk.port")
BODY='{"model":"claude","max_tokens":16,"messages":[{"role":"user","content":"田中太郎さんの件で確認をお願いします。"}]}'
cat >"$TMP/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "$KEY"
wrk.headers["anthropic-version"] = "2023-06-01"
LUA
echo "# $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-11s %10s %10s %10s %s\n' conns target req/s p50 p99 "gate CPU us/request"
for c in 1 4 16 64; do
  for target in direct gate; do
    port=$UP; [ $target = gate ] && port=$SK
    t0=$(cpu_ticks $SKPID)
    out=$(wrk -t1 -c$c -d${DUR}s --latency -s "$TMP/post.lua" "http://127.0.0.1:$port/v1/messages")
    t1=$(cpu_ticks $SKPID)
    nreq=$(echo "$out" | awk '/requests in/ {print $1}')
    cpu=""; [ $target = gate ] && [ "${nreq:-0}" -gt 0 ] && cpu=$(( (t1 - t0) * 1000000 / TCK / nreq ))
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}'); p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    printf '%-8s %-11s %10s %10s %10s %6s %s\n' $c $target "$rps" "$p50" "$p99" "$cpu" "${non2xx:+non-2xx=$non2xx}"
  done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "admission stages alone (/metrics, ms):"
M=$(curl -s "http://127.0.0.1:$SK/metrics")
echo "$M" | grep '^sekisho_gate_added_latency_ms' | sed 's/^/  /'
echo "$M" | grep '^sekisho_gate_commit_' | sed 's/^/  /' || true
