#!/usr/bin/env bash
# Runs the units of Redis 7.0.15's own test suite that our commands cover (tests/redis-suite.units), in
# spawn mode as Redis's CI runs them, and fails on any failure, exception, hang or start failure that
# tests/redis-suite.expected does not list. Expected failures that now pass are reported, to be removed.
# Usage: tools/redis-suite.sh [--server PATH]     (from the project root; needs tclsh and redis-tools)
set -uo pipefail
cd "$(dirname "$0")/.."
suite=${REDIS_TESTS:-../shared/redis-tests}
server=target/release/mini-redis-server
[ "${1:-}" = --server ] && server=${2:?}
[ -x "$suite/run.sh" ] || { echo "redis-suite: $suite/run.sh not found"; exit 2; }
mapfile -t units < <(grep -v '^\s*#' tests/redis-suite.units | awk 'NF {print $1}')
# REDIS_SUITE_RESULTS=FILE keeps the per-test TSV (unit, ok|err|exc|timeout, test name).
results=${REDIS_SUITE_RESULTS:-$(mktemp)}
out=$(mktemp)
# Replication is issue 15's: its tests (tagged needs:repl) are skipped, as Redis's README says to skip what a
# server lacks, so that the tests after them still run. The summary counts them as not run.
"$suite/run.sh" --server "$server" --results "$results" --unit-timeout 180 --tags -needs:repl "${units[@]}" \
    | tee "$out"
# A unit that did not start or hit the unit timeout is a failure whatever the list says. A server that did not
# start is retried once (seen once in ~20 runs of integration/rdb, not reproduced since: see the 2026-12-07 note),
# loudly, so a real start-up hang still fails CI.
# A unit whose no-start the expected list names (a test that starts the server on a file it must refuse, such as
# an AOF holding a command we do not have yet) is neither retried nor a failure; any other no-start is.
nostart_ok=$(grep -sv '^\s*#' tests/redis-suite.expected | awk -F'\t' '$3 ~ /^\(no-start/ {print $1}' | sort -u)
listed() { printf '%s\n' "$nostart_ok" | grep -qx "$1"; }
nostart=$(grep -E '^[a-z].* status=no-start$' "$out" | awk '{print $1}' | while read -r u; do listed "$u" || echo "$u"; done)
if [ -n "$nostart" ]; then
    echo "redis-suite: RETRYING units whose server did not start: $nostart"
    retry=$(mktemp)
    retry_out=$(mktemp)
    # shellcheck disable=SC2086
    "$suite/run.sh" --server "$server" --results "$retry" --unit-timeout 180 --tags -needs:repl $nostart \
        | tee "$retry_out"
    for u in $nostart; do
        grep -qE "^$u .* status=no-start$" "$retry_out" && continue
        # Started the second time: the retry's rows and status line replace the first attempt's.
        awk -F'\t' -v u="$u" '$1 != u' "$results" > "$results.tmp" && mv "$results.tmp" "$results"
        awk -F'\t' -v u="$u" '$1 == u' "$retry" >> "$results"
        sed -i "\\|^$u .* status=no-start$|d" "$out"
        grep -E "^$u " "$retry_out" >> "$out"
    done
    rm -f "$retry" "$retry_out"
fi
bad_units=$(grep -E '^[a-z].* status=(no-start|timeout)$' "$out" | awk '{print $1}' | while read -r u; do
    grep -qE "^$u .* status=no-start$" "$out" && listed "$u" || echo "$u"
done)
# Rows "unit<TAB>kind<TAB>test" that are not ok, against the expected list (same three columns, then why).
expected=$(mktemp)
grep -sv '^\s*#' tests/redis-suite.expected | awk -F'\t' 'NF >= 3 {print $1 "\t" $2 "\t" $3}' | sort -u > "$expected"
actual=$(mktemp)
awk -F'\t' '$2 != "ok" {print $1 "\t" $2 "\t" $3}' "$results" | sort -u > "$actual"
unexpected=$(comm -23 "$actual" "$expected")
fixed=$(comm -13 "$actual" "$expected")
rc=0
if [ -n "$bad_units" ]; then
    echo "redis-suite: units that hung or did not start: $bad_units"
    rc=1
fi
if [ -n "$unexpected" ]; then
    echo "redis-suite: failures not in tests/redis-suite.expected:"
    printf '%s\n' "$unexpected" | sed 's/^/  /'
    rc=1
fi
if [ -n "$fixed" ]; then
    echo "redis-suite: listed as expected failures but passed now (remove them from tests/redis-suite.expected):"
    printf '%s\n' "$fixed" | sed 's/^/  /'
fi
ok=$(awk -F'\t' '$2 == "ok"' "$results" | wc -l)
notok=$(wc -l < "$actual")
# Tests real Redis passes in these units that did not run here (skipped by tag, or after an exception).
notrun=$(awk -F'\t' 'NR == FNR { seen[$1 "\t" $3] = 1; next }
    $2 == "ok" && !(($1 "\t" $3) in seen)' "$results" "$suite/baseline-redis-7.0.15.tsv" \
    | awk -F'\t' -v units=" ${units[*]} " 'index(units, " " $1 " ")' | wc -l)
echo "redis-suite: $ok tests passed, $notok failed ($(printf '%s' "$unexpected" | grep -c .) not expected)," \
    "$notrun that real Redis passes did not run"
[ -n "${REDIS_SUITE_RESULTS:-}" ] || rm -f "$results"
rm -f "$out" "$expected" "$actual"
exit $rc
