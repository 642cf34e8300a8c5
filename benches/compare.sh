#!/usr/bin/env bash
# brisk against reqwest, hyper and two raw-socket floors (raw, and raw-peek:
# raw plus one liveness peek per reuse), in one command.
#
#   benches/compare.sh [--reps N] [--unpinned] [--footprint] [--footprint-only]
#                      [--footprint-programs "brisk brisk-nodefault reqwest ureq"]
#                      [--parse-instructions] [--no-runs]
#                      [--clients "brisk reqwest hyper raw raw-peek"]
#                      [--workloads "seq c100 1m tls-new-conn slow tls-seq tls-c100
#                                   stream-1m stream-100m slow10k"]
#                      [--no-brisk] [--quick] [--out DIR]
#
# Builds the bench crate in release, starts the hyper server pinned to core 0
# (`taskset -c 0`), and runs every workload with every client interleaved
# (A B C D, A B C D, ... --reps times, default 5), the client pinned to the
# same core: the headline figures (see ../shared/BENCH.md on why same-core
# pinning). --unpinned adds a second pass with server and client both left
# to the scheduler, printed beside the first. Every run appends one JSON line
# to DIR/results.jsonl (default: target/compare-<date>); the summary is
# printed and written to DIR/summary.md.
#
# --footprint also measures a one-GET program for brisk (default features),
# brisk (no default features), reqwest + rustls and ureq + rustls: unique
# crates in `cargo tree -e normal`, clean release build time (at the
# machine's CARGO_BUILD_JOBS) and stripped binary size. Clean builds are
# slow, so it is off unless asked for. --no-runs skips the client runs
# (--footprint-only = --footprint --no-runs); --footprint-programs "ureq
# brisk" measures only those.
#
# --parse-instructions adds instructions per parse of the 298-byte head
# (httparse, brisk parse_head, brisk ResponseDecoder) counted by valgrind's
# callgrind: exact, whatever else the machine is doing.
#
# --no-brisk builds without the `brisk-client` feature and leaves brisk out.
# --quick runs a tenth of each workload's requests (a smoke test, not data).
#
# The tls-* workloads go to the TLS server. slow10k holds 10,000 connections
# open in the client and as many in the server (separate processes), so the
# script raises the open-file limit to the hard limit first; it reports the
# kernel's listen-backlog cap (somaxconn) and ephemeral port range, which
# bound how fast 10,000 simultaneous connects can be taken in.
#
# The binaries are built into $CARGO_TARGET_DIR when set (a shared target
# directory), else benches/target. With CARGO_LOCK=FILE every cargo command
# runs under `flock FILE`, for machines where builds take turns (the
# footprint's build times then include any wait for the lock).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
BENCHES=$PWD
TARGET=${CARGO_TARGET_DIR:-$BENCHES/target}
BIN=$TARGET/release
locked() {
    if [ -n "${CARGO_LOCK:-}" ]; then
        flock "$CARGO_LOCK" "$@"
    else
        "$@"
    fi
}

REPS=5
UNPINNED=0
FOOTPRINT=0
PARSE_INSTRUCTIONS=0
PROGRAMS="floor brisk brisk-nodefault reqwest ureq"
RUNS=1
CLIENTS="brisk reqwest hyper raw raw-peek"
WORKLOADS="seq c100 1m tls-new-conn slow tls-seq tls-c100 stream-1m stream-100m slow10k"
FEATURES=()
QUICK=()
OUT=""

while [ $# -gt 0 ]; do
    case "$1" in
        --reps) REPS=$2; shift ;;
        --unpinned) UNPINNED=1 ;;
        --footprint) FOOTPRINT=1 ;;
        --footprint-only) FOOTPRINT=1; RUNS=0 ;;
        --parse-instructions) PARSE_INSTRUCTIONS=1 ;;
        --no-runs) RUNS=0 ;;
        --footprint-programs) PROGRAMS=$2; shift ;;
        --clients) CLIENTS=$2; shift ;;
        --workloads) WORKLOADS=$2; shift ;;
        --no-brisk) FEATURES=(--no-default-features); CLIENTS=${CLIENTS//brisk/} ;;
        --quick) QUICK=(--quick) ;;
        --out) OUT=$2; shift ;;
        -h|--help) sed -n '2,41p' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

OUT=${OUT:-$TARGET/compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"

log() { echo "[compare] $*" >&2; }

# slow holds 1,000 connections open on each side, slow10k 10,000: each
# process (server, client) needs a descriptor per connection and some more.
# Servers and clients are started from this shell, so they inherit it.
HARD_NOFILE=$(ulimit -Hn)
[ "$HARD_NOFILE" = unlimited ] && HARD_NOFILE=65536
ulimit -n "$HARD_NOFILE" 2>/dev/null || true
if [[ " $WORKLOADS " == *" slow10k "* ]]; then
    if [ "$(ulimit -n)" -lt 10240 ]; then
        log "WARNING: open-file limit $(ulimit -n) < 10,240: slow10k will fail (raise the hard limit)"
    fi
    log "slow10k: open files $(ulimit -n), listen backlog capped at somaxconn $(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo '?'), ephemeral ports $(tr '\t' '-' < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo '?')"
fi

SERVER_PIDS=()
cleanup() {
    for pid in "${SERVER_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

# start_server NAME PIN-PREFIX [--tls]: starts a server, waits for its port.
start_server() {
    local name=$1 pin=$2
    shift 2
    rm -f "$OUT/$name.port"
    $pin "$BIN/server" --port 0 --port-file "$OUT/$name.port" \
        --cert-out "$OUT/$name.der" "$@" > "$OUT/$name.log" 2>&1 &
    SERVER_PIDS+=($!)
    for _ in $(seq 100); do
        [ -s "$OUT/$name.port" ] && return 0
        sleep 0.1
    done
    log "server $name did not start:"; cat "$OUT/$name.log" >&2
    exit 1
}

# run_pass MODE PIN-PREFIX: every workload for every client, interleaved.
run_pass() {
    local mode=$1 pin=$2
    start_server "$mode-plain" "$pin"
    start_server "$mode-tls" "$pin" --tls
    local plain tls cert
    plain=127.0.0.1:$(cat "$OUT/$mode-plain.port")
    tls=127.0.0.1:$(cat "$OUT/$mode-tls.port")
    cert=$OUT/$mode-tls.der
    log "$mode: servers on $plain and $tls (tls); $REPS reps of [$WORKLOADS] x [$CLIENTS]"
    for rep in $(seq "$REPS"); do
        for workload in $WORKLOADS; do
            local addr=$plain
            case $workload in tls-*) addr=$tls ;; esac
            for client in $CLIENTS; do
                if ! $pin "$BIN/compare" --client "$client" \
                    --workload "$workload" --addr "$addr" --cert "$cert" \
                    --label "$mode" "${QUICK[@]}" >> "$RESULTS" 2>> "$OUT/errors.log"; then
                    log "FAILED: $mode rep $rep $workload $client (see $OUT/errors.log)"
                fi
            done
        done
        log "$mode: rep $rep/$REPS done"
    done
}

footprint() {
    local jobs=${CARGO_BUILD_JOBS:-$(nproc)}
    echo "### Footprint of a one-GET program ($(date +%Y-%m-%d), $(nproc) cores, clean release builds at -j $jobs)"
    echo
    echo "| program | unique crates (cargo tree -e normal) | clean release build s | stripped binary |"
    echo "|---|---|---|---|"
    for name in $PROGRAMS; do
        local dir=$BENCHES/footprint/$name
        local target=$dir/target
        log "footprint: $name"
        # Download first, so the timed build is compile time only.
        locked cargo fetch --manifest-path "$dir/Cargo.toml" >&2
        # Every line of the tree names one crate (name, version); count each
        # once and leave out the program itself.
        local crates
        crates=$(locked cargo tree --manifest-path "$dir/Cargo.toml" -e normal --prefix none \
            | awk '{print $1, $2}' | sort -u | grep -cv "^footprint-")
        rm -rf "$target"
        local t0 t1
        t0=$(date +%s.%N)
        if ! locked cargo build --release --manifest-path "$dir/Cargo.toml" --target-dir "$target" \
            > "$OUT/footprint-$name.log" 2>&1; then
            echo "| $name | $crates | build failed (see $OUT/footprint-$name.log) | – |"
            continue
        fi
        t1=$(date +%s.%N)
        local bin=$target/release/footprint-$name
        cp "$bin" "$OUT/footprint-$name"
        strip "$OUT/footprint-$name"
        local size
        size=$(stat -c %s "$OUT/footprint-$name")
        awk -v n="$name" -v c="$crates" -v t0="$t0" -v t1="$t1" -v s="$size" \
            'BEGIN { printf "| %s | %s | %.0f | %.2f MB |\n", n, c, t1 - t0, s / 1e6 }'
    done
    echo
}

# Instructions per parse: (I(N) - I(0)) / N under callgrind.
parse_instructions() {
    local n=20000
    echo "### Instructions per parse of the 298-byte, 8-header head (callgrind, N = $n)"
    echo
    echo "| parser | instructions/parse |"
    echo "|---|---|"
    for p in httparse brisk decoder; do
        local i0 i1
        i0=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
            "$BIN/parse_instructions" "$p" 0 2>&1 | sed -n 's/.*Collected : //p')
        i1=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
            "$BIN/parse_instructions" "$p" "$n" 2>&1 | sed -n 's/.*Collected : //p')
        local label=$p
        [ "$p" = brisk ] && label="brisk parse_head"
        [ "$p" = decoder ] && label="brisk ResponseDecoder (allocating)"
        awk -v l="$label" -v a="$i0" -v b="$i1" -v n="$n" 'BEGIN { printf "| %s | %.0f |\n", l, (b - a) / n }'
    done
    echo
}

if [ "$RUNS" = 1 ]; then
    log "building (release) ..."
    locked nice -n 19 cargo build --release --bins "${FEATURES[@]}" >&2
    run_pass pinned "taskset -c 0"
    if [ "$UNPINNED" = 1 ]; then
        cleanup; SERVER_PIDS=()
        run_pass unpinned ""
    fi
    cleanup; SERVER_PIDS=()
    {
        echo "## brisk vs reqwest vs hyper vs raw vs raw-peek — $(date +%Y-%m-%d), $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
        echo
        echo "Server: hyper 1.x on a current-thread runtime. Clients: current-thread runtime."
        echo "pinned = server and client both on core 0 (taskset -c 0); unpinned = both left to the scheduler."
        echo
        "$BIN/summary" "$RESULTS"
    } > "$OUT/summary.md"
fi

if [ "$PARSE_INSTRUCTIONS" = 1 ]; then
    if [ "$RUNS" = 0 ]; then
        locked nice -n 19 cargo build --release --bins "${FEATURES[@]}" >&2
    fi
    if command -v valgrind > /dev/null; then
        parse_instructions >> "$OUT/summary.md"
    else
        log "valgrind not found: no instruction counts"
    fi
fi

if [ "$FOOTPRINT" = 1 ]; then
    footprint >> "$OUT/summary.md"
fi

cat "$OUT/summary.md"
log "raw results: $RESULTS"
