#!/usr/bin/env bash
# Counts how many of the everyday reqwest uses in uses.txt compile
# unchanged against brisk (`use brisk as reqwest`), after checking with
# reqwest itself that every one of them is real reqwest code.
#
#   parity/check.sh            # the count, and the uses that fail
#   parity/check.sh --oracle   # only the reqwest check
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
total=$(grep -c '' uses.txt)

failing_lines() { # cargo check output (short format) -> sorted failing use numbers
    grep -E 'uses\.rs:[0-9]+:[0-9]+: error' | sed -E 's/.*uses\.rs:([0-9]+):.*/\1/' | sort -un
}

oracle=$(cargo check --quiet --features oracle --message-format=short 2>&1 | failing_lines || true)
if [ -n "$oracle" ]; then
    echo "not reqwest code (fix uses.txt):"
    for n in $oracle; do printf '  %3d  %s\n' "$n" "$(sed -n "${n}p" uses.txt)"; done
    exit 1
fi
echo "reqwest: all $total uses compile"
[ "${1:-}" = "--oracle" ] && exit 0

bad=$(cargo check --quiet --message-format=short 2>&1 | failing_lines || true)
nbad=$(printf '%s' "$bad" | grep -c '' || true)
echo "brisk: $((total - nbad)) of $total uses compile unchanged"
for n in $bad; do printf '  %3d  %s\n' "$n" "$(sed -n "${n}p" uses.txt)"; done
