#!/usr/bin/env bash
# bench/engine.sh — the engine's speed table in one command (issue 8).
#
#   bash bench/engine.sh [--sekisho BIN] [--llama-bench BIN] [--models DIR] [--keep]
#                        [-t THREADS] [-p N_PROMPT] [-n N_GEN] [-r REPS]
#
# 1. Writes the four synthetic models of the issue's table with `sekisho gguf-synth` (Qwen2.5-0.5B
#    and Llama-3.2-1B shapes, Q8_0 and Q4_K_M) into DIR, or a temporary directory removed at the
#    end (unless --keep). Files already in DIR are reused (gguf-synth is deterministic).
# 2. Runs the read-bandwidth probe (bench_bandwidth) and derives each model's decode bound.
# 3. Runs `sekisho bench -t 2 -p 512 -n 128` on each model; and `llama-bench` with the same
#    arguments on the same files when --llama-bench BIN is given or llama-bench is on PATH. The
#    ratio is then measured in the same run; otherwise it is against the llama.cpp figures quoted
#    in the issue (another time, llama.cpp built with -march=native), and labelled "quoted".
# Prints one Markdown table (also written to DIR/engine-bench.md).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
sekisho="" llama_bench="" dir="" keep=0 threads=2 n_prompt=512 n_gen=128 reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --sekisho) sekisho=$2; shift 2 ;;
    --llama-bench) llama_bench=$2; shift 2 ;;
    --models) dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -t) threads=$2; shift 2 ;;
    -p) n_prompt=$2; shift 2 ;;
    -n) n_gen=$2; shift 2 ;;
    -r) reps=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "engine.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$sekisho" ]; then
  for c in "$here/build-rel/sekisho" "$here/build/sekisho" "$(command -v sekisho || true)"; do
    if [ -n "$c" ] && [ -x "$c" ]; then sekisho=$c; break; fi
  done
fi
[ -x "$sekisho" ] || { echo "engine.sh: no sekisho binary; build one (cmake -DCMAKE_BUILD_TYPE=Release) or pass --sekisho" >&2; exit 1; }
bw=$(dirname "$sekisho")/bench/bench_bandwidth
[ -x "$bw" ] || bw=""
if [ -z "$llama_bench" ] && command -v llama-bench >/dev/null 2>&1; then llama_bench=$(command -v llama-bench); fi

if [ -z "$dir" ]; then
  dir=$(mktemp -d /tmp/sekisho-bench.XXXXXX)
  [ "$keep" = 1 ] || trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"

# name|arch|shape|type|llama.cpp pp512 quoted|tg128 quoted
models=(
  "Qwen2.5-0.5B Q8_0|qwen2|qwen2.5-0.5b|Q8_0|274.6|53.7"
  "Qwen2.5-0.5B Q4_K_M|qwen2|qwen2.5-0.5b|Q4_K_M|233.0|58.2"
  "Llama-3.2-1B Q8_0|llama|llama-3.2-1b|Q8_0|110.4|23.7"
  "Llama-3.2-1B Q4_K_M|llama|llama-3.2-1b|Q4_K_M|128.2|39.4"
)

files=()
for m in "${models[@]}"; do
  IFS='|' read -r _ arch shape type _ _ <<<"$m"
  f="$dir/$shape-$type.gguf"
  if [ ! -s "$f" ]; then
    echo "writing $f ..." >&2
    "$sekisho" gguf-synth --arch "$arch" --shape "$shape" --type "$type" -o "$f" >/dev/null
  fi
  files+=("$f")
done

declare -A bound
bw_line="(bench_bandwidth not built: no decode bound)"
if [ -n "$bw" ]; then
  out=$("$bw" --mib 1024 --reps 5 "${files[@]}")
  bw_line=$(echo "$out" | head -1)
  while IFS= read -r line; do
    f=${line%%:*}
    b=$(echo "$line" | sed -n 's/.*decode bound \([0-9.]*\) t\/s (2 threads).*/\1/p')
    bound[$f]=$b
  done < <(echo "$out" | tail -n +2)
fi

# "pp512 123.4" / "tg128 56.7" lines from sekisho bench --json.
sk_figures() {
  "$sekisho" bench -m "$1" -t "$threads" -p "$n_prompt" -n "$n_gen" -r "$reps" --json |
    awk -F'[:,]' '/"test"/ {gsub(/[" ]/, "", $2); t=$2} /"avg_ts"/ {gsub(/ /, "", $2); print t, $2}
                  /"rss_kb"/ {gsub(/ /, "", $2); print "rss", $2}'
}
# The same from llama-bench -o json (n_prompt / n_gen / avg_ts fields of each test).
lb_figures() {
  "$llama_bench" -m "$1" -t "$threads" -p "$n_prompt" -n "$n_gen" -r "$reps" -o json 2>/dev/null |
    awk -F'[:,]' '/"n_prompt"/ {gsub(/ /, "", $2); p=$2} /"n_gen"/ {gsub(/ /, "", $2); g=$2}
                  /"avg_ts"/ {gsub(/ /, "", $2); if (g == 0) print "pp" p, $2; else print "tg" g, $2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a > 0) printf "%.2f", a / b; else printf "-" }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a > 0) printf "%.0f%%", 100 * a / b; else printf "-" }'; }

kern=$(SEKISHO_CPU="${SEKISHO_CPU:-}" "$sekisho" bench -m "${files[0]}" -p 0 -n 1 -r 1 --json | sed -n 's/.*"kernels": "\(.*\)".*/\1/p')
src="quoted from the issue (not this run)"
[ -n "$llama_bench" ] && src="llama-bench, same run ($llama_bench)"
{
  echo "# Sekisho engine vs llama.cpp — $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "sekisho: $sekisho ($kern kernels), -t $threads, pp$n_prompt / tg$n_gen, mean of $reps runs after a warm-up."
  echo "llama.cpp figures: $src."
  echo "$bw_line"
  echo
  echo "| model | pp$n_prompt t/s | llama.cpp | ratio | tg$n_gen t/s | llama.cpp | ratio | decode bound | of bound | RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for i in "${!models[@]}"; do
    IFS='|' read -r name _ _ _ q_pp q_tg <<<"${models[$i]}"
    f=${files[$i]}
    figs=$(sk_figures "$f")
    s_pp=$(echo "$figs" | awk -v t="pp$n_prompt" '$1 == t {print $2}')
    s_tg=$(echo "$figs" | awk -v t="tg$n_gen" '$1 == t {print $2}')
    rss=$(echo "$figs" | awk '$1 == "rss" {printf "%.0f", $2 / 1024}')
    l_pp=$q_pp l_tg=$q_tg mark="*"
    if [ -n "$llama_bench" ]; then
      lf=$(lb_figures "$f")
      l_pp=$(echo "$lf" | awk -v t="pp$n_prompt" '$1 == t {print $2}')
      l_tg=$(echo "$lf" | awk -v t="tg$n_gen" '$1 == t {print $2}')
      mark=""
    fi
    b=${bound[$f]:-}
    printf '| %s | %.1f | %s%s | %s | %.1f | %s%s | %s | %s | %s | %s |\n' "$name" "${s_pp:-0}" \
      "${l_pp:--}" "$mark" "$(ratio "$s_pp" "$l_pp")" "${s_tg:-0}" "${l_tg:--}" "$mark" \
      "$(ratio "$s_tg" "$l_tg")" "${b:--}" "$(pct "$s_tg" "$b")" "${rss:--}"
  done
  [ -z "$llama_bench" ] && echo && echo "\* quoted from issue 8 (llama.cpp -march=native, llama-bench -t 2 on the 2-core Zen 4 machine), not measured in this run."
} | tee "$dir/engine-bench.md"
