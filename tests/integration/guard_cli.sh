#!/usr/bin/env bash
# guard_cli.sh — the `sekisho scan` / `sekisho redact` contracts, end to end.
# usage: guard_cli.sh PATH/TO/sekisho   (run from the repository root)
set -u
BIN=${1:?usage: guard_cli.sh sekisho}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export SEKISHO_DATA_DIR="$TMP/data"
fail() { echo "FAIL: $*"; exit 1; }

T='担当：山田 太郎様 電話 090-1234-5678 個人番号 9832 0567 3214'
out=$("$BIN" scan --json "$T") || fail "scan --json exit $?"
grep -q '"level":"specific"' <<<"$out" || fail "level: $out"
grep -q '"type":"PHONE_NUMBER"' <<<"$out" || fail "phone: $out"
grep -q '"type":"JP_MY_NUMBER"' <<<"$out" || fail "my number: $out"

printf '%s' "$T" > "$TMP/in.txt"
"$BIN" scan -f "$TMP/in.txt" | grep -q '^PHONE_NUMBER' || fail "scan -f"
"$BIN" scan < "$TMP/in.txt" | grep -q '^JP_MY_NUMBER' || fail "scan stdin"

printf '{"id":"a","text":"電話 03-1234-5678"}\n{"id":"b","text":"なし"}\n' > "$TMP/in.jsonl"
"$BIN" scan --jsonl -f "$TMP/in.jsonl" > "$TMP/out.jsonl" || fail "jsonl exit"
[ "$(wc -l < "$TMP/out.jsonl")" = 2 ] || fail "jsonl lines"
grep -q '"id": *"a".*"type": *"PHONE_NUMBER", *"start": *7, *"end": *19' "$TMP/out.jsonl" || fail "jsonl span: $(cat "$TMP/out.jsonl")"
grep -q '"id": *"b", *"entities": *\[\]' "$TMP/out.jsonl" || fail "jsonl empty: $(cat "$TMP/out.jsonl")"

"$BIN" redact --mode redact "$T" | grep -q '<PHONE_NUMBER>' || fail "redact"
"$BIN" redact --mode mask "$T" | grep -q '\*\*\*-\*\*\*\*-\*\*\*\*' || fail "mask"
p=$("$BIN" redact --mode pseudo --vault "$TMP/v.json" "$T") || fail "pseudo exit"
grep -q '090-1234' <<<"$p" && fail "pseudo leaked the phone"
[ "$(stat -c %a "$TMP/v.json")" = 600 ] || fail "vault mode"
back=$(printf '%s' "$p" | "$BIN" redact --restore --vault "$TMP/v.json") || fail "restore exit"
[ "$back" = "$T" ] || fail "restore: $back"

"$BIN" scan --bogus >/dev/null 2>&1; [ $? = 2 ] || fail "usage exit code"
"$BIN" redact --mode nope x >/dev/null 2>&1; [ $? = 2 ] || fail "bad mode exit code"
"$BIN" scan --help | grep -q 'jsonl' || fail "help"
echo "guard CLI: ok"
