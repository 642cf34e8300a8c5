#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, one after another, and prints
# what each reached: executions, coverage (cov: edges, ft: features, as
# libFuzzer counts them), corpus size, and whether it crashed.
#
#   fuzz/run-all.sh SECONDS [libFuzzer flags...]     e.g. fuzz/run-all.sh 60 -seed=1
#
# Each target starts from its seed corpus, fuzz/corpus/<target>/, and its
# past crashes, fuzz/regressions/<target>/ (both read only), and keeps what
# it finds in fuzz/work/<target>/ (not in git); a crash is written to
# fuzz/artifacts/<target>/ and the next target runs.
# The exit status is 1 if any target crashed. Targets are built first
# (nightly, no sanitizer: brisk forbids unsafe code, and ASan would halve
# the rate); set NO_BUILD=1 to use the binaries already built. Set
# CARGO_TARGET_DIR to build elsewhere than fuzz/target.
set -euo pipefail

seconds=${1:?usage: fuzz/run-all.sh SECONDS [libFuzzer flags...]}
shift
cd "$(dirname "${BASH_SOURCE[0]}")"

target_dir=${CARGO_TARGET_DIR:-$PWD/target}
if [ -z "${NO_BUILD:-}" ]; then
    cargo +nightly fuzz build -s none --target-dir "$target_dir"
fi
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin=$target_dir/$host/release

mkdir -p work artifacts
summary=()
failed=0
# The targets, as fuzz/Cargo.toml lists them (one [[bin]] each).
targets=$(awk '/^\[\[bin\]\]/ { bin = 1 } bin && /^name = / { gsub(/"/, "", $3); print $3; bin = 0 }' Cargo.toml)
for target in $targets; do
    mkdir -p "corpus/$target" "work/$target" "artifacts/$target"
    log=work/$target.log
    echo "== $target: $seconds s" >&2
    status=ok
    seeds=("corpus/$target")
    if [ -d "regressions/$target" ]; then
        seeds+=("regressions/$target")
    fi
    "$bin/$target" "work/$target" "${seeds[@]}" \
        -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" "$@" >"$log" 2>&1 || status=CRASH
    if [ "$status" != ok ]; then
        failed=1
        grep -m1 -A6 -E 'panicked|ERROR: libFuzzer' "$log" >&2 || true
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    # The last status line: "#N  DONE  cov: E ft: F corp: C/S ..."
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
    summary+=("$(printf '%-22s %14s %7s %7s %12s  %s' "$target" "${runs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$status")")
done

printf '\n%-22s %14s %7s %7s %12s  %s\n' target executions cov ft corpus status
printf '%s\n' "${summary[@]}"
exit "$failed"
