# Shared helpers: start `sekisho serve` on a free loopback port, stop it, assert.
# Sourced by the serve_*.sh tests; expects $SEKISHO (the binary).
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap - EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$TMP/serve.log" ] && tail -n 20 "$TMP"/*.log >&2; exit 1; }

# start_server NAME ARGS... → sets PORT and SERVER_PID; --port 0 lets the kernel pick a free port
start_server() {
  local name=$1; shift
  rm -f "$TMP/$name.port"
  "$SEKISHO" --data-dir "$TMP/data-$name" serve --port 0 --port-file "$TMP/$name.port" "$@" \
    >"$TMP/$name.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 600); do
    [ -s "$TMP/$name.port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server $name exited: $(cat "$TMP/$name.log")"
    sleep 0.1
  done
  [ -s "$TMP/$name.port" ] || fail "server $name did not start"
  PORT=$(cat "$TMP/$name.port")
  BASE="http://127.0.0.1:$PORT"
}

# expect_status CODE CURL-ARGS... : body in $TMP/body, headers in $TMP/headers
expect_status() {
  local want=$1; shift
  local got
  got=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "$@") || true
  [ "$got" = "$want" ] || fail "expected HTTP $want, got $got for curl $*: $(head -c 400 "$TMP/body")"
}
body_has() { grep -q -- "$1" "$TMP/body" || fail "body lacks '$1': $(head -c 400 "$TMP/body")"; }
