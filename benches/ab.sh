#!/usr/bin/env bash
# Interleaved A/B of builds of the comparison driver: what a change costs.
#
#   benches/ab.sh [--reps N] [--workloads "seq c100 1m"] LABEL=PATH [LABEL=PATH...]
#
# Each PATH is a `compare` binary (build one per commit: `cargo build
# --release --bins` in that commit's benches/, then copy
# target/release/compare away). Two servers (plain and TLS, this checkout's) and
# every client pinned to core 0; then
# for each rep and workload every build in turn, brisk client; `reqwest`
# as a LABEL with the value `reqwest` runs this checkout's reqwest client
# instead. Prints medians with min–max per workload and label.
set -euo pipefail
BENCHES=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPS=11
WORKLOADS="seq c100 1m"
BUILDS=()
while [ $# -gt 0 ]; do
    case $1 in
        --reps) REPS=$2; shift ;;
        --workloads) WORKLOADS=$2; shift ;;
        *=*) BUILDS+=("$1") ;;
        *) echo "ab.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
[ ${#BUILDS[@]} -gt 0 ] || { sed -n '2,12p' "$0"; exit 2; }
OUT=$(mktemp -d)
# Both servers pinned to core 0, as every client is (see BENCH.md: the
# same-core figures are the steady ones).
taskset -c 0 "$BENCHES/target/release/server" --port 0 --port-file "$OUT/port" \
    --cert-out "$OUT/plain.der" > "$OUT/server.log" 2>&1 &
SERVER=$!
taskset -c 0 "$BENCHES/target/release/server" --port 0 --port-file "$OUT/tls-port" --tls \
    --cert-out "$OUT/cert.der" > "$OUT/tls-server.log" 2>&1 &
TLS_SERVER=$!
trap 'kill $SERVER $TLS_SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$OUT/port" ] && [ -s "$OUT/tls-port" ] && break; sleep 0.1; done
PLAIN=127.0.0.1:$(cat "$OUT/port")
TLS=127.0.0.1:$(cat "$OUT/tls-port")
for rep in $(seq "$REPS"); do
    for w in $WORKLOADS; do
        ADDR=$PLAIN
        case $w in tls-*) ADDR=$TLS ;; esac
        for build in "${BUILDS[@]}"; do
            label=${build%%=*} path=${build#*=}
            if [ "$path" = reqwest ]; then
                taskset -c 0 "$BENCHES/target/release/compare" --client reqwest --workload "$w" \
                    --addr "$ADDR" --cert "$OUT/cert.der" --label "$label" >> "$OUT/results.jsonl"
            else
                taskset -c 0 "$path" --client brisk --workload "$w" --addr "$ADDR" \
                    --cert "$OUT/cert.der" --label "$label" >> "$OUT/results.jsonl"
            fi
        done
    done
    echo "[ab] rep $rep/$REPS done" >&2
done
python3 - "$OUT/results.jsonl" <<'PY'
import json, statistics as st, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| workload | build | req/s (median, min–max) | CPU µs/req | allocs/req |")
print("|---|---|---|---|---|")
for w in dict.fromkeys(r["workload"] for r in rows):
    for lab in dict.fromkeys(r["mode"] for r in rows):
        r = [x for x in rows if x["workload"] == w and x["mode"] == lab]
        v = [x["req_per_s"] for x in r]
        print(f"| {w} | {lab} | {st.median(v)/1000:.1f}k ({min(v)/1000:.1f}–{max(v)/1000:.1f}k) "
              f"| {st.median([x['cpu_us_per_req'] for x in r]):.2f} "
              f"| {st.median([x['allocs_per_req'] for x in r]):.0f} |")
PY
