#!/usr/bin/env bash
# End-to-end benchmark: xferlens against two read floors and a jq pipeline,
# on generated corpora, in one run. The floors: `cat | wc -l` (one core,
# every byte copied twice through a pipe) and the true floor, both cores
# only reading the bytes (`xargs -P2 -n 2000 cat >/dev/null`). Best of 3 wall times and
# peak RSS (/usr/bin/time). Corpora are generated once and cached in
# $CORPUS (default benches/corpus, git-ignored).
#
#   benches/e2e.sh              # 300 MB single session + 1 GB fleet of 2,000 sessions
#   PROFILES="generator realistic" benches/e2e.sh   # both line mixes (xferlens-gen --profile)
#   SIZES="250 500 1000" benches/e2e.sh scale   # fleet sizes in MB, for the linearity table
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${CORPUS:-$ROOT/benches/corpus}
RUNS=${RUNS:-3}
cargo build --release -q -p xferlens -p xferlens-gen --manifest-path "$ROOT/Cargo.toml"
GEN=$ROOT/target/release/xferlens-gen
X=$ROOT/target/release/xferlens
mkdir -p "$CORPUS"

# best CMD...: runs CMD (a shell string) RUNS times; prints "best_seconds
# peak_rss_kb cpu_seconds" (cpu: user + system time of the best run).
best() {
    local best="" rss=0 cpu=0
    for _ in $(seq "$RUNS"); do
        local tf out
        tf=$(mktemp)
        /usr/bin/time -o "$tf" -f "%e %M %U %S" bash -c "$1" >/dev/null 2>&1 || true
        out=$(tail -1 "$tf"); rm -f "$tf"
        local t m u s
        read -r t m u s <<<"$out"
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then
            best=$t
            cpu=$(awk "BEGIN{print $u + $s}")
        fi
        [ "$m" -gt "$rss" ] && rss=$m
    done
    echo "$best $rss $cpu"
}

ratio() { awk "BEGIN{ if ($2 > 0) printf \"%.2f\", $1/$2; else print \"inf\" }"; }

report() { # name seconds rss wc-floor 2-core-floor [cpu-seconds bytes]
    local per=""
    if [ -n "${6:-}" ] && [ -n "${7:-}" ]; then
        per=$(awk "BEGIN{printf \"  %.2f ns CPU/byte\", $6 * 1e9 / $7}")
    fi
    printf "%-34s %8.2fs  %6.1f MB RSS  %6sx wc floor  %6sx 2-core floor%s\n" "$1" "$2" \
        "$(awk "BEGIN{print $3 / 1024}")" "$(ratio "$2" "$4")" "$(ratio "$2" "$5")" "$per"
}

# read2 DIR: both cores only reading the log files (the true floor).
read2() { echo "find '$1' -type f ! -name expected.json -print0 | xargs -0 -P2 -n 2000 cat >/dev/null"; }

gen_fleet() { # dir megabytes sessions [profile]
    [ -d "$1" ] || "$GEN" fleet "$1" --sessions "$3" --target-bytes "$(( $2 * 1000000 ))" --seed 11 --accounts 20 --profile "${4:-generator}" >/dev/null
}

if [ "${1:-}" = "scale" ]; then
    echo "fleet scaling (batch, all outputs), machine: $(nproc) cores"
    for mb in ${SIZES:-250 500 1000}; do
        d="$CORPUS/fleet-$mb"
        gen_fleet "$d" "$mb" $(( mb * 2 ))
        bytes=$(find "$d" -type f ! -name expected.json -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
        read -r floor _ < <(best "$(read2 "$d")")
        read -r t rss cpu < <(best "'$X' batch '$d' -o '$CORPUS/out-$mb' --no-progress -q")
        printf "%5d MB (%d bytes): 2-core floor %.2fs  batch %.2fs (%sx)  %.1f MB RSS  %.0f MB/s  %.2f ns CPU/byte\n" \
            "$mb" "$bytes" "$floor" "$t" "$(ratio "$t" "$floor")" "$(awk "BEGIN{print $rss / 1024}")" "$(awk "BEGIN{print $bytes / 1e6 / $t}")" "$(awk "BEGIN{print $cpu * 1e9 / $bytes}")"
    done
    exit 0
fi

for PROFILE in ${PROFILES:-generator}; do
suffix=""
[ "$PROFILE" = generator ] || suffix="-$PROFILE"
echo "== line mix: $PROFILE"
SINGLE="$CORPUS/single$suffix"
[ -d "$SINGLE" ] || "$GEN" session "$SINGLE" --accounts 1000 --target-bytes 300000000 --scenario mixed --seed 7 --id bigsession --workers 4 --profile "$PROFILE" >/dev/null
FLEET="$CORPUS/fleet$suffix"
gen_fleet "$FLEET" 1000 2000 "$PROFILE"
S="$SINGLE/bigsession"
logs() { find "$1" -type f ! -name expected.json -print0 | du -cb --files0-from=- | tail -1 | awk '{printf "%.0f MB", $1/1e6}'; }
nlogs() { find "$1" -type f ! -name expected.json | wc -l; }
echo "corpora (log files only): single $(logs "$S") in $(nlogs "$S") files; fleet $(logs "$FLEET") in $(nlogs "$FLEET") files, $(ls "$FLEET" | wc -l) sessions"
echo "machine: $(nproc) cores, $(uname -r); best of $RUNS"
echo

# The floor reads exactly the logs: not the generator's expected.json.
bytes_of() { find "$1" -type f ! -name expected.json -print0 | du -cb --files0-from=- | tail -1 | cut -f1; }
b1=$(bytes_of "$S")
b2=$(bytes_of "$FLEET")
read -r f1 _ < <(best "find '$S' -type f ! -name expected.json -print0 | xargs -0 cat | wc -l")
read -r g1 _ < <(best "$(read2 "$S")")
read -r t1 r1 c1 < <(best "'$X' summary -q '$S'")
read -r j1 jr1 _ < <(best "{ jq -r 'select(.type==\"control\" and ((.contents.action // \"\") | tostring | endswith(\"-item\"))) | \"\(.contents.queue) \(.contents.action)\"' '$S'/master.log | sort | uniq -c; jq -r 'select(.type==\"error\" or .type==\"warn\") | \"\(input_filename) \(.type)\"' '$S'/item-* | sort | uniq -c; }")
echo "single session (~300 MB)"
report "find | xargs cat | wc -l" "$f1" 0 "$f1" "$g1"
report "both cores only reading" "$g1" 0 "$f1" "$g1"
report "xferlens summary" "$t1" "$r1" "$f1" "$g1" "$c1" "$b1"
if [ "$PROFILE" = generator ]; then
    report "jq per-queue + per-item counts" "$j1" "$jr1" "$f1" "$g1"
else
    echo "jq: no figure (it stops at the first line that is not JSON: the Perl warnings)"
fi
echo

read -r f2 _ < <(best "find '$FLEET' -type f ! -name expected.json -print0 | xargs -0 cat | wc -l")
read -r g2 _ < <(best "$(read2 "$FLEET")")
read -r t2 r2 c2 < <(best "'$X' batch '$FLEET' -o '$CORPUS/out' --no-progress -q")
read -r p2 pr2 pc2 < <(best "'$X' batch '$FLEET' -o '$CORPUS/out-parquet' --format parquet --no-progress -q")
read -r j2 jr2 _ < <(best "{ find '$FLEET' -name master.log -print0 | xargs -0 jq -r 'select(.type==\"control\" and ((.contents.action // \"\") | tostring | endswith(\"-item\"))) | \"\(input_filename) \(.contents.queue) \(.contents.action)\"' | sort | uniq -c; find '$FLEET' -name 'item-*' -print0 | xargs -0 jq -r 'select(.type==\"error\" or .type==\"warn\") | \"\(input_filename) \(.type)\"' | sort | uniq -c; }")
echo "fleet (~1 GB, 2,000 sessions)"
report "find | xargs cat | wc -l" "$f2" 0 "$f2" "$g2"
report "both cores only reading" "$g2" 0 "$f2" "$g2"
report "xferlens batch (CSV, all outputs)" "$t2" "$r2" "$f2" "$g2" "$c2" "$b2"
report "xferlens batch --format parquet" "$p2" "$pr2" "$f2" "$g2" "$pc2" "$b2"
if [ "$PROFILE" = generator ]; then
    report "jq per-queue + per-item counts" "$j2" "$jr2" "$f2" "$g2"
else
    echo "jq: no figure (it stops at the first line that is not JSON: the Perl warnings)"
fi
echo
done
