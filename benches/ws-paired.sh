#!/usr/bin/env bash
# Paired runs of the WebSocket bench: one echo server, then in each rep
# every arm as its own process, one after the other, all on core 0.
# Prints each arm's medians and the median of its per-rep ratios against
# the first arm, which a machine whose speed swings between runs moves
# far less than a ratio of medians.
#
#   benches/ws-paired.sh REPS WORKLOAD "BIN:CLIENT BIN:CLIENT ..."
#   e.g. benches/ws-paired.sh 15 c100 "target/release/ws:fastwebsockets target/release/ws:brisk /tmp/ws-base:brisk"
#
# WORKLOAD is rtt, stream or c100; each BIN is a build of src/bin/ws.rs
# (two builds compare two versions of brisk); the server is the first
# arm's binary.
set -euo pipefail
REPS=$1; WORKLOAD=$2; ARMS=$3
first=${ARMS%% *}
coproc SRV { taskset -c 0 "${first%%:*}" --serve; }
read -r line <&"${SRV[0]}"; ADDR=${line#listening }
trap 'kill $SRV_PID 2>/dev/null || true' EXIT
out=$(mktemp)
for rep in $(seq "$REPS"); do
  for arm in $ARMS; do
    taskset -c 0 "${arm%%:*}" --run "${arm#*:}" "$WORKLOAD" --addr "$ADDR" | sed "s|^|$rep $arm |" >> "$out"
  done
done
python3 - "$out" <<'PY'
import json, statistics as st, sys
runs, order = {}, []
for line in open(sys.argv[1]):
    rep, arm, js = line.split(" ", 2)
    if arm not in runs:
        order.append(arm)
    runs.setdefault(arm, {})[rep] = json.loads(js)
base = runs[order[0]]
for arm in order:
    r = runs[arm]
    med = lambda k: st.median(d[k] for d in r.values())
    paired = lambda k: st.median(r[p][k] / base[p][k] for p in r)
    print(f"{arm}: {med('msgs_per_s') / 1000:.1f}k msgs/s, {med('cpu_us_per_msg'):.2f} us CPU a message; "
          f"paired against {order[0]}: msgs/s {paired('msgs_per_s'):.3f}, CPU {paired('cpu_us_per_msg'):.3f}")
PY
rm -f "$out"
