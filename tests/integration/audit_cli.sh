#!/usr/bin/env bash
# `sekisho audit` end to end: append, verify, prove, checkpoint (+ witness), export, report,
# shred, and tampering with the stored file through the CLI's eyes (exit codes, first bad record).
set -euo pipefail
S=${1:?usage: audit_cli.sh path/to/sekisho}
D=$(mktemp -d /tmp/sk-audit-cli-XXXXXX)
trap 'rm -rf "$D"' EXIT
A() { "$S" --data-dir "$D" audit "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

for i in $(seq 0 29); do
  echo "{\"kind\":\"completed\",\"tenant\":\"t$((i % 3))\",\"model\":\"m$((i % 2))\",\"route\":\"local\",\"decision\":\"allow\",\"pii\":{\"PHONE\":$((i % 2))},\"tokens_in\":$i}"
done | A append | grep -q "appended 30 records: seq 0..29" || fail "append"
echo '{"kind":"completed","subject":"user-1","personal":{"name":"山田"},"external":true,"route":"anthropic","legal_basis":"consent","decision":"redact","pii":{"PERSON":1}}' | A append >/dev/null
A verify | grep -q "^ok: 31 records" || fail "verify of an intact log"
A checkpoint >"$D/ck1"
grep -q "^31$" "$D/ck1" || fail "checkpoint size"
A checkpoint --verify "$D/ck1" | grep -q "^ok" || fail "checkpoint signature"
A checkpoint --public-key | grep -q "^sekisho-audit-ed25519 sekisho-log " || fail "public key export"

# witness cosignature
A checkpoint --keygen witness-1 --out "$D/w" >/dev/null
A checkpoint --cosign "$D/ck1" --key "$D/w.key" >"$D/ck1w"
A checkpoint --verify "$D/ck1w" --key "$D/w.pub" | grep -q "signed by witness-1" || fail "witness cosignature"
sed 's/^31$/32/' "$D/ck1w" >"$D/ck1x"
if A checkpoint --verify "$D/ck1x" >/dev/null 2>&1; then fail "altered checkpoint accepted"; fi

# proofs
A prove 7 | grep -q '"seq":7,' || fail "prove"
A prove --consistency 10 | grep -q '"old_size":10' || fail "consistency proof"
if A prove 99 >/dev/null 2>&1; then fail "proof of a missing record"; fi

# export: exact stored bytes + trailer; leaf hash of line 1 equals what prove says
A export --from 3 --to 5 >"$D/exp"
[ "$(wc -l <"$D/exp")" -eq 4 ] || fail "export line count"
head -1 "$D/exp" | grep -q '^{"seq":3,' || fail "export first record"
tail -1 "$D/exp" | grep -q '"export":{"from":3,"to":5,"tree_size":31' || fail "export trailer"
leaf=$( (printf '\x00'; head -1 "$D/exp" | tr -d '\n') | sha256sum | cut -c1-64)
A prove 3 | grep -q "\"leaf_hash\":\"$leaf\"" || fail "exported record does not hash to its leaf"

# report
A report --from 0 --to 30 --json "$D/r.json" --html "$D/r.html"
grep -q '"by_tenant"' "$D/r.json" && grep -q 'プライバシー保護' "$D/r.html" || fail "report"
grep -q '"without_legal_basis": 0' "$D/r.json" || fail "report external transfers"

# shredding keeps verification
A shred user-1 | grep -q shredded || fail "shred"
A verify | grep -q "^ok" || fail "verify after shred"

# tampering: change one byte inside record 12, verify names record 12, exit 1
cp "$D/audit/records.log" "$D/orig"
off=$(grep -abo '"seq":12,' "$D/audit/records.log" | cut -d: -f1)
printf 'X' | dd of="$D/audit/records.log" bs=1 seek=$((off + 30)) conv=notrunc status=none
set +e; out=$(A verify 2>/dev/null); rc=$?; set -e
[ $rc -eq 1 ] || fail "verify exit code on tamper: $rc"
grep -q "first bad record 12" <<<"$out" || fail "tamper not located: $out"
cp "$D/orig" "$D/audit/records.log"
A verify --from 20 | grep -q "ok: 31 records (11 rehashed" || fail "verify --from"
# truncation past the checkpoint
head -c $(( $(stat -c %s "$D/orig") - 100 )) "$D/orig" >"$D/audit/records.log"
set +e; out=$(A verify 2>/dev/null); rc=$?; set -e
[ $rc -eq 1 ] && grep -q "first bad record 30" <<<"$out" || fail "truncation (exit $rc): $out"
cp "$D/orig" "$D/audit/records.log"

# usage errors exit 2
set +e; A prove >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 2 ] || fail "usage error exit code $rc"
A --help | grep -q "verify \[--from N\]" || fail "help"
echo "audit CLI: all checks passed"
