#!/usr/bin/env bash
# Writes every finding of the guard on a fixed corpus into DIR (developer tool: regression oracle
# for speed work, where findings must stay byte-identical). Run from the repository root:
#   tools/guard_findings.sh BUILD_DIR DIR        # e.g. build/release /tmp/before
#   cmp -s /tmp/before/all /tmp/after/all && echo identical
# Corpus: the 13 aozora novels + the dense business text (bench_guard --dump), the dev set
# (sekisho scan --jsonl), and the dev texts joined into one document (cross-record context).
# Needs ../shared/data; prints SKIP and exits 0 when it is absent.
set -euo pipefail
b=${1:?BUILD_DIR}; d=${2:?DIR}
dev=../shared/data/pii/pii-dev.jsonl
if [ ! -f "$dev" ] || [ ! -d ../shared/data/aozora ]; then echo "SKIP: ../shared/data absent"; exit 0; fi
mkdir -p "$d"
"$b/bench/bench_guard" --passes 1 --only prompts --dump "$d/bench" >/dev/null
"$b/sekisho" scan --jsonl -f "$dev" >"$d/dev"
python3 -c 'import json,sys
print(json.dumps({"id":"joined","text":"\n".join(json.loads(l)["text"] for l in open(sys.argv[1]))},ensure_ascii=False))' "$dev" >"$d/joined.in"
"$b/sekisho" scan --jsonl -f "$d/joined.in" >"$d/joined"
cat "$d/bench" "$d/dev" "$d/joined" >"$d/all"
wc -l "$d/bench" "$d/dev" | head -2; grep -o '"type"' "$d/joined" | wc -l | sed 's/^/joined findings: /'
