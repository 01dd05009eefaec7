#!/usr/bin/env bash
# Integration test of `sekisho ledger …`: every command, --help, --json, per-line results.
set -euo pipefail
bin="$1"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
sk() { "$bin" --data-dir "$dir" ledger "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

for c in account transfer balances history pending approve void wallet settle reconcile check; do
  sk "$c" --help | grep -q usage || fail "$c --help"
done
sk --help | grep -q transfer || fail "ledger --help"

# Accounts: bank (1), budget that cannot go negative (2), provider (3), agent wallet (4), JPYC (5, 6).
sk account create --id 1 --ledger JPY >/dev/null
sk account create --id 2 --ledger JPY --flags debits_must_not_exceed_credits --json | grep -q '"result":"ok"' || fail "create 2"
printf '%s\n' '{"id":"3","ledger":"JPY","code":1}' '{"id":"4","ledger":"JPY","flags":["debits_must_not_exceed_credits"]}' \
  '{"id":"5","ledger":"JPYC"}' '{"id":"6","ledger":"JPYC"}' '{"id":"3","ledger":"JPYC"}' \
  | sk account create --stdin --json >"$dir/acc.out" && fail "conflicting account should exit 1"
grep -c '"ok":true' "$dir/acc.out" | grep -qx 4 || fail "4 accounts created"
grep -q 'exists_with_different_ledger' "$dir/acc.out" || fail "exists_with_different_ledger"

# Transfers: per-line results, malformed lines, linked chains, limits, overflow.
cat >"$dir/t.jsonl" <<'JSONL'
{"id":"10","debit_account_id":"1","credit_account_id":"2","amount":"1000","ledger":"JPY"}
{"id":"11","debit_account_id":"2","credit_account_id":"3","amount":"1001","ledger":"JPY"}
{"id":"12","debit_account_id":"2","credit_account_id":"3","amount":"100","ledger":"JPY","flags":["linked"]}
{"id":"13","debit_account_id":"2","credit_account_id":"3","amount":"2000","ledger":"JPY"}
{"id": "14", not json
{"id":"15","debit_account_id":"1","credit_account_id":"5","amount":"1","ledger":"JPY"}
{"id":"16","debit_account_id":"1","credit_account_id":"3","amount":"340282366920938463463374607431768211456","ledger":"JPY"}
{"id":"17","debit_account_id":"99","credit_account_id":"3","amount":"5","ledger":"JPY"}
{"id":"18","debit_account_id":"2","credit_account_id":"3","amount":"600","ledger":"JPY","flags":["pending"],"timeout":3600}
{"id":"19","debit_account_id":"5","credit_account_id":"6","amount_decimal":"1.5","ledger":"JPYC"}
{"id":"10","debit_account_id":"1","credit_account_id":"2","amount":"1000","ledger":"JPY"}
{"id":"10","debit_account_id":"1","credit_account_id":"2","amount":"999","ledger":"JPY"}
{"id":"20","debit_account_id":"1","credit_account_id":"4","amount":"5000","ledger":"JPY","typo":1}
JSONL
sk transfer --json <"$dir/t.jsonl" >"$dir/t.out" && fail "transfer with failures should exit 1"
[ "$(wc -l <"$dir/t.out")" -eq 13 ] || fail "one result per line"
res() { sed -n "$1p" "$dir/t.out" | sed 's/.*"result":"\([a-z_]*\)".*/\1/'; }
[ "$(res 1)" = ok ] || fail "line 1"
[ "$(res 2)" = exceeds_credits ] || fail "line 2: $(res 2)"
[ "$(res 3)" = linked_event_failed ] || fail "line 3"
[ "$(res 4)" = exceeds_credits ] || fail "line 4"
[ "$(res 5)" = malformed ] || fail "line 5"
[ "$(res 6)" = accounts_must_have_the_same_ledger ] || fail "line 6"
[ "$(res 7)" = malformed ] || fail "line 7 (overflowing amount)"
[ "$(res 8)" = debit_account_not_found ] || fail "line 8"
[ "$(res 9)" = ok ] || fail "line 9"
[ "$(res 10)" = ok ] || fail "line 10"
[ "$(res 11)" = exists ] || fail "line 11"
[ "$(res 12)" = exists_with_different_amount ] || fail "line 12"
[ "$(res 13)" = malformed ] || fail "line 13 (unknown key)"

sk balances 2 --json | grep -q '"debits_pending":"600"' || fail "pending hold on 2"
sk balances 6 --json | grep -q '"net_posted_decimal":"1.5"' || fail "JPYC decimal"
sk pending | grep -q '^18 ' || fail "pending list"
sk approve 18 --amount 450 --json | grep -q '"result":"ok"' || fail "approve partial"
sk approve 18 --amount 450 --json | grep -q '"result":"exists"' || fail "approve is idempotent"
{ sk void 18 --json || true; } | grep -q 'pending_transfer_already_posted' || fail "void after post"
sk balances 2 --json | grep -q '"debits_posted":"450"' || fail "posted 450"
sk history 2 --json | grep -c timestamp | grep -qx 3 || fail "history has 3 events"

# Agent wallet: approval above 300, cap 1000/day, only toward account 3.
echo '{"id":"30","debit_account_id":"1","credit_account_id":"4","amount":"5000","ledger":"JPY"}' | sk transfer >/dev/null
sk wallet set 4 --per-transfer-cap 800 --daily-cap 1000 --approval-above 300 --allow 3 --json | grep -q '"daily_cap":"1000"' || fail "wallet set"
cat >"$dir/w.jsonl" <<'JSONL'
{"id":"31","debit_account_id":"4","credit_account_id":"1","amount":"10","ledger":"JPY"}
{"id":"32","debit_account_id":"4","credit_account_id":"3","amount":"900","ledger":"JPY"}
{"id":"33","debit_account_id":"4","credit_account_id":"3","amount":"200","ledger":"JPY"}
{"id":"34","debit_account_id":"4","credit_account_id":"3","amount":"700","ledger":"JPY"}
{"id":"35","debit_account_id":"4","credit_account_id":"3","amount":"200","ledger":"JPY"}
{"id":"36","debit_account_id":"4","credit_account_id":"3","amount":"0","pending_id":"34","ledger":"JPY","flags":["post_pending_transfer"]}
JSONL
sk transfer --json <"$dir/w.jsonl" >"$dir/w.out" || true
for n_want in "1 counterparty_not_allowed" "2 exceeds_per_transfer_cap" "3 ok" "4 pending_approval" "5 exceeds_daily_cap" "6 approval_required"; do
  set -- $n_want
  got=$(sed -n "$1p" "$dir/w.out" | sed 's/.*"result":"\([a-z_]*\)".*/\1/')
  [ "$got" = "$2" ] || fail "wallet line $1: want $2 got $got"
done
sk pending --json | grep -q '"awaiting_approval":true' || fail "awaiting approval listed"
sk approve 34 >/dev/null || fail "human approval"
sk balances 4 --json | grep -q '"debits_posted":"900"' || fail "wallet spent 900"

# Settlement and reconciliation.
sk settle --ledger JPYC --from 0 --to 4000000000 --out "$dir/s.json" >/dev/null
sk settle verify "$dir/s.json" | grep -q '^ok' || fail "verify"
sed 's/"-1500000000000000000"/"-1"/' "$dir/s.json" >"$dir/bad.json"
sk settle verify "$dir/bad.json" 2>/dev/null && fail "tampered batch verified"
digest=$(sed -n 's/.*"digest": "\([0-9a-f]*\)".*/\1/p' "$dir/s.json")
printf '{"settlement_digest":"%s","external_ref":"jpyc-tx-1","positions":[{"account":"5","net":"-1500000000000000000"},{"account":"6","net":"1500000000000000000"}]}' "$digest" >"$dir/r.json"
sk reconcile "$dir/r.json" --json | grep -q '"reconciled":true' || fail "reconcile"
printf '{"settlement_digest":"%s","positions":[{"account":"5","net":"-1"}]}' "$digest" >"$dir/r2.json"
sk reconcile "$dir/r2.json" >/dev/null && fail "mismatch must exit 1"
# A producer that writes one line and waits gets its result before sending more (no deadlock).
coproc TR { "$bin" --data-dir "$dir" ledger transfer --json; }
echo '{"id":"40","debit_account_id":"1","credit_account_id":"3","amount":"1","ledger":"JPY"}' >&"${TR[1]}"
read -t 20 -r first <&"${TR[0]}" || fail "interactive transfer: no result while stdin stays open"
grep -q '"result":"ok"' <<<"$first" || fail "interactive result: $first"
exec {TR[1]}>&-
wait "$TR_PID" || true

sk check --json | grep -q '"ok":true' || fail "check"
echo "ledger CLI: all checks passed"
