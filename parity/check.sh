#!/usr/bin/env bash
# Counts how many of the everyday reqwest uses in uses.txt compile
# unchanged against brisk (`use brisk as reqwest`), after checking with
# reqwest itself that every one of them is real reqwest code.
#
#   parity/check.sh            # the count, and the uses that fail
#   parity/check.sh --oracle   # only the reqwest check
#   parity/check.sh --min N    # fail unless at least N uses compile and
#                              # every program's port compiles (CI)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
total=$(grep -c '' uses.txt)

failing_lines() { # cargo check output (short format) -> sorted failing use numbers
    grep -E 'uses\.rs:[0-9]+:[0-9]+: error' | sed -E 's/.*uses\.rs:([0-9]+):.*/\1/' | sort -un
}

oracle_out=$(cargo check --quiet --features oracle --message-format=short 2>&1 || true)
if printf '%s\n' "$oracle_out" | grep -q 'programs/reqwest/.*error'; then
    echo "a reqwest program does not compile:"; printf '%s\n' "$oracle_out" | grep 'programs/reqwest/'; exit 1
fi
oracle=$(printf '%s\n' "$oracle_out" | failing_lines || true)
if [ -n "$oracle" ]; then
    echo "not reqwest code (fix uses.txt):"
    for n in $oracle; do printf '  %3d  %s\n' "$n" "$(sed -n "${n}p" uses.txt)"; done
    exit 1
fi
echo "reqwest: all $total uses compile"
[ "${1:-}" = "--oracle" ] && exit 0
min=0
[ "${1:-}" = "--min" ] && min="$2"

brisk_out=$(cargo check --quiet --message-format=short 2>&1 || true)
bad=$(printf '%s\n' "$brisk_out" | failing_lines || true)
nbad=$(printf '%s' "$bad" | grep -c '' || true)
echo "brisk: $((total - nbad)) of $total uses compile unchanged"
for n in $bad; do printf '  %3d  %s\n' "$n" "$(sed -n "${n}p" uses.txt)"; done

# The eight programs: each brisk port is the reqwest original with
# `reqwest` renamed to `brisk`, plus the lines counted here.
echo
echo "programs (lines changed beyond the rename; errors if the port does not compile):"
for f in programs/reqwest/*.rs; do
    name=$(basename "$f")
    changed=$(diff <(sed 's/reqwest/brisk/g' "$f") "programs/brisk/$name" | grep -c '^[<>]' || true)
    errors=$(printf '%s\n' "$brisk_out" | grep -c "programs/brisk/$name:.*error" || true)
    printf '  %-24s %2d lines changed, %d errors\n' "$name" "$changed" "$errors"
    program_errors=$((${program_errors:-0} + errors))
done
if [ "$min" -gt 0 ]; then
    if [ "$((total - nbad))" -lt "$min" ] || [ "${program_errors:-0}" -gt 0 ]; then
        echo "parity fell: fewer than $min uses compile, or a program's port does not" >&2
        exit 1
    fi
fi
