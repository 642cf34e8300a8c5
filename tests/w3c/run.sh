#!/usr/bin/env bash
# The W3C Trace Context test suite (tests/w3c/harness, from w3c/trace-context:
# see PROVENANCE.md) against examples/trace_service.rs, at the strictest
# levels: STRICT_LEVEL=2 SPEC_LEVEL=2. Makes a virtualenv with aiohttp (kept
# under the target directory, so later runs reuse it; BRISK_W3C_VENV names
# another), picks two free loopback ports, and exits with the harness's
# status (the number of failures and errors).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

target="${CARGO_TARGET_DIR:-target}"
venv="${BRISK_W3C_VENV:-$target/w3c-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import aiohttp' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check aiohttp
fi

venv="$(cd "$venv" && pwd)"
target="$(cd "$target" && pwd)"

cargo build --quiet --example trace_service
free_port() {
    "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
service_port=$(free_port)
harness_port=$(free_port)

log=$(mktemp)
"$target/debug/examples/trace_service" "127.0.0.1:$service_port" >"$log" 2>&1 &
service=$!
trap 'kill "$service" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
    grep -q '^listening on' "$log" && break
    sleep 0.1
done
grep -q '^listening on' "$log" || { cat "$log" >&2; echo "the service did not start" >&2; exit 1; }

cd tests/w3c/harness
STRICT_LEVEL=2 SPEC_LEVEL=2 HARNESS_PORT="$harness_port" \
    "$venv/bin/python" test.py "http://127.0.0.1:$service_port/test"
