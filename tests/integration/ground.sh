#!/usr/bin/env bash
# CLI contract of ingest / retrieve / verify. Usage: ground.sh SEKISHO_BINARY (run from the repo root).
set -u
BIN=$1
LAWS=../shared/data/laws
if [ ! -f "$LAWS/銀行法.txt" ] || [ ! -f "$LAWS/個人情報の保護に関する法律.txt" ]; then
  echo "SKIP: $LAWS not present (the demo corpus lives in ../shared/data/laws)"; exit 77
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
D="--data-dir $T/data"

out=$($BIN $D ingest "$LAWS/銀行法.txt" "$LAWS/個人情報の保護に関する法律.txt" --collection laws) || fail "ingest: $out"
grep -q "2 added" <<<"$out" || fail "ingest summary: $out"
out=$($BIN $D ingest "$LAWS/銀行法.txt" --collection laws) || fail "re-ingest"
grep -q "1 unchanged" <<<"$out" || fail "re-ingest must skip unchanged files: $out"

json=$($BIN $D retrieve --collection laws --query "銀行の資本金の額は" --k 3 --json) || fail "retrieve"
grep -q '"label": "第五条（資本金の額）"' <<<"$json" || fail "retrieve top hit: $json"
grep -q '"chunk_id"' <<<"$json" || fail "retrieve json fields"
$BIN $D retrieve --collection nosuch --query x >/dev/null 2>"$T/err" && fail "missing collection must fail"
grep -q "no collection" "$T/err" || fail "missing collection message: $(cat "$T/err")"
$BIN $D retrieve --collection laws >/dev/null 2>&1; [ $? -eq 2 ] || fail "usage error must exit 2"

printf '銀行の資本金の額は、政令で定める額以上でなければならない。\n' > "$T/good.txt"
$BIN verify --source "$LAWS/銀行法.txt" --text "$T/good.txt" > "$T/v" || fail "verify good: $(cat "$T/v")"
grep -q "supported" "$T/v" || fail "verdict"
printf '個人情報取扱事業者は、利用目的をできる限り特定しなくてもよい。\n前項の政令で定める額は、二十億円を下回つてはならない。\n' > "$T/bad.txt"
$BIN verify --source "$LAWS/銀行法.txt" --source "$LAWS/個人情報の保護に関する法律.txt" --text "$T/bad.txt" --json > "$T/v"
[ $? -eq 1 ] || fail "verify of wrong text must exit 1"
grep -q '"contradicted": 2' "$T/v" || fail "both sentences contradicted: $(cat "$T/v")"

# hostile inputs: clear errors, exit 1, other files still ingested
head -c 4096 /dev/urandom > "$T/junk.txt"; printf '\0' >> "$T/junk.txt"
printf '\x8b\xe2\x8d\x73\x96\x40\n' > "$T/sjis.txt"
printf '%%PDF-1.4\n1 0 obj garbage\n%%%%EOF\n' > "$T/broken.pdf"
python3 -c "print('あ' * 2000000)" > "$T/huge_line.txt" 2>/dev/null || printf 'あ%.0s' $(seq 1 20000) > "$T/huge_line.txt"
$BIN $D ingest "$T/junk.txt" "$T/sjis.txt" "$T/broken.pdf" "$T/huge_line.txt" --collection hostile >"$T/o" 2>"$T/e"
[ $? -eq 1 ] || fail "hostile ingest must exit 1"
grep -q "junk.txt: binary data" "$T/e" || fail "junk message: $(cat "$T/e")"
grep -q "sjis.txt: invalid UTF-8 at byte 0" "$T/e" || fail "utf8 message: $(cat "$T/e")"
grep -q "broken.pdf: not a readable PDF" "$T/e" || fail "pdf message: $(cat "$T/e")"
grep -q "1 added" "$T/o" || fail "huge line file must be ingested: $(cat "$T/o")"
# the local model as second judge (a synthetic model: its opinion is noise, the plumbing is real)
$BIN gguf-synth --arch llama --seed 3 -o "$T/judge.gguf" >/dev/null || fail "gguf-synth"
printf '銀行の資本金の額は、政令で定める水準とされる。\n' > "$T/amb.txt"
$BIN verify --source "$LAWS/銀行法.txt" --text "$T/amb.txt" --json > "$T/v0"
grep -q '"ambiguous": true' "$T/v0" || fail "expected an ambiguous sentence: $(cat "$T/v0")"
$BIN verify --source "$LAWS/銀行法.txt" --text "$T/amb.txt" --judge-model "$T/judge.gguf" --json > "$T/v1"
grep -q '"reason": "judge: ' "$T/v1" || fail "judge not consulted: $(cat "$T/v1")"
$BIN verify --source "$LAWS/銀行法.txt" --text "$T/amb.txt" --judge-model "$T/nosuch.gguf" >/dev/null 2>"$T/e"
grep -q "judge model" "$T/e" || fail "missing judge model message: $(cat "$T/e")"
echo "ok"
