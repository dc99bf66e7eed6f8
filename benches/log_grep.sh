#!/usr/bin/env bash
# `xferlens log --grep` against ripgrep on the same session directory, in
# one run: the commands alternate, RUNS rounds, best wall time of each
# (and its CPU), for a few patterns (rare, common, absent). The session is
# generated once (300 MB, realistic line mix) and cached in $CORPUS.
#
#   benches/log_grep.sh                 # 300 MB realistic session
#   SESSION=/path/to/session benches/log_grep.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${CORPUS:-$ROOT/benches/corpus}
RUNS=${RUNS:-5}
command -v rg >/dev/null || { echo "needs ripgrep (apt-get install ripgrep)" >&2; exit 1; }
cargo build --release -q -p xferlens -p xferlens-gen --manifest-path "$ROOT/Cargo.toml"
X=$ROOT/target/release/xferlens
if [ -z "${SESSION:-}" ]; then
    mkdir -p "$CORPUS"
    if [ ! -d "$CORPUS/log300" ]; then
        "$ROOT/target/release/xferlens-gen" session --accounts 800 --profile realistic \
            --target-bytes 300000000 --seed 3 "$CORPUS/log300" >/dev/null
    fi
    SESSION=$(ls -d "$CORPUS"/log300/*/ | head -1)
fi
cat "$SESSION"/* >/dev/null # into the page cache
bytes=$(du -sb "$SESSION" | cut -f1)
echo "session: $SESSION ($((bytes / 1000000)) MB), best of $RUNS alternating rounds"
printf '%-16s %10s %10s %10s %10s %7s\n' pattern "rg wall" "rg cpu" "xl wall" "xl cpu" ratio
for pat in 'already exists' 'quota' 'no such text here'; do
    best_rg=""; best_x=""; cpu_rg=0; cpu_x=0
    for _ in $(seq "$RUNS"); do
        for who in rg xl; do
            tf=$(mktemp)
            if [ $who = rg ]; then
                /usr/bin/time -o "$tf" -f "%e %U %S" rg --no-config "$pat" "$SESSION" >/dev/null || true
            else
                /usr/bin/time -o "$tf" -f "%e %U %S" "$X" log --color never --grep "$pat" "$SESSION" >/dev/null || true
            fi
            read -r t u s < <(tail -1 "$tf"); rm -f "$tf"
            c=$(awk "BEGIN{print $u + $s}")
            if [ $who = rg ]; then
                if [ -z "$best_rg" ] || awk "BEGIN{exit !($t < $best_rg)}"; then best_rg=$t; cpu_rg=$c; fi
            else
                if [ -z "$best_x" ] || awk "BEGIN{exit !($t < $best_x)}"; then best_x=$t; cpu_x=$c; fi
            fi
        done
    done
    printf '%-16s %9ss %9ss %9ss %9ss %6.2fx\n' "$pat" "$best_rg" "$cpu_rg" "$best_x" "$cpu_x" \
        "$(awk "BEGIN{print $best_x / ($best_rg > 0 ? $best_rg : 0.01)}")"
done
