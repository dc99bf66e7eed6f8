#!/usr/bin/env bash
# Renders the HTML reports in a real browser (headless Chromium, Debian's
# `chromium` package) at three sizes, and checks what a user would see:
#   - a single session (a shipped fixture),
#   - a generated 1,000-account session (`xferlens report --format html`),
#   - a generated 2,000-session fleet (`xferlens batch`'s report.html).
# For each page it asserts that Chromium loads it within a time budget,
# that the console shows no error (a CSP violation, a script error), that
# the sorting script ran (the CSP allows it by hash), and that every
# internal link resolves in the rendered DOM. It prints each page's size
# and load time.
#
#   tests/browser.sh [--screenshots DIR] [--bin DIR]
#
# --screenshots writes a PNG of each page (the README's come from here);
# --bin takes xferlens and xferlens-gen from DIR (default: a release build).
# Exits 0 when every check passes, 1 when one fails, 2 when Chromium is
# missing (the caller says so; nothing is skipped silently).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHOTS=""
BIN=""
while [ $# -gt 0 ]; do
    case "$1" in
        --screenshots) SHOTS=$2; shift 2 ;;
        --bin) BIN=$2; shift 2 ;;
        *) echo "usage: $0 [--screenshots DIR] [--bin DIR]" >&2; exit 2 ;;
    esac
done
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
    echo "browser check: chromium not found (apt-get install chromium)" >&2
    exit 2
fi
if [ -z "$BIN" ]; then
    cargo build --release -q -p xferlens -p xferlens-gen --manifest-path "$ROOT/Cargo.toml"
    BIN=$ROOT/target/release
fi
X=$BIN/xferlens
GEN=$BIN/xferlens-gen
BUDGET=${BROWSER_BUDGET_S:-60}

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export XFERLENS_NOW=1795881238

"$X" report -q --format html -o "$W/single.html" \
    "$ROOT/fixtures/sessions/sourcefailurescopy20251128"
"$GEN" session --accounts 1000 --lines 2 --scenario failures --id big1000 "$W/gen" >/dev/null
"$X" report -q --format html -o "$W/accounts-1000.html" "$W/gen/big1000"
"$GEN" fleet --sessions 2000 --seed 3 --target-bytes 40000000 --accounts 6 --retries 0.3 \
    "$W/fleet" >/dev/null
"$X" batch -q --no-progress "$W/fleet" -o "$W/batch" >/dev/null
cp "$W/batch/report.html" "$W/sessions-2000.html"

fail=0
for page in single accounts-1000 sessions-2000; do
    f="$W/$page.html"
    start=$(date +%s%N)
    if ! timeout "$BUDGET" "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$W/profile" --enable-logging=stderr --v=0 \
        --dump-dom "file://$f" >"$W/$page.dom" 2>"$W/$page.log"; then
        echo "FAIL $page: did not load within ${BUDGET}s" >&2
        fail=1
        continue
    fi
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    size=$(stat -c %s "$f")
    # Console errors: CSP refusals and script errors are logged as CONSOLE.
    if grep -E 'CONSOLE|Refused to|Uncaught' "$W/$page.log" >&2; then
        echo "FAIL $page: console errors (above)" >&2
        fail=1
    fi
    if ! grep -q 'title="Sort by this column"' "$W/$page.dom"; then
        echo "FAIL $page: the sorting script did not run (CSP hash?)" >&2
        fail=1
    fi
    # Every href="#x" has an id="x" in the rendered DOM.
    { grep -o 'id="[^"]*"' "$W/$page.dom" || true; } | sed 's/^id="//; s/"$//' | sort -u >"$W/ids"
    { grep -o 'href="#[^"]*"' "$W/$page.dom" || true; } | sed 's/^href="#//; s/"$//' | sort -u >"$W/hrefs"
    missing=$(comm -23 "$W/hrefs" "$W/ids" | head -5)
    if [ -n "$missing" ]; then
        echo "FAIL $page: links without a target: $missing" >&2
        fail=1
    fi
    printf '%-15s %9d bytes  loaded in %5d ms  %5d internal links, all resolve\n' \
        "$page" "$size" "$ms" "$(wc -l <"$W/hrefs")"
    if [ -n "$SHOTS" ]; then
        mkdir -p "$SHOTS"
        timeout "$BUDGET" "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
            --no-first-run --disable-background-networking --disable-component-update \
            --disable-sync --user-data-dir="$W/profile" --hide-scrollbars \
            --window-size=1300,1800 --screenshot="$SHOTS/report-$page.png" "file://$f" \
            >/dev/null 2>&1
    fi
done
exit $fail
