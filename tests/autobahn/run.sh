#!/usr/bin/env bash
# Autobahn|Testsuite fuzzingserver (tests a WebSocket CLIENT), loopback only.
# Needs a CPython 2.7 interpreter (PY2). Usage: run.sh <client-binary> <agent> [expected-index.json]
#
# Provenance: copied from the project's ../shared/autobahn/autobahn-client.sh
# (2026-12-07, with its constraints-py27.txt and README), so that CI does not
# depend on ../shared. Changes: CASES (a JSON list, default all) picks the
# cases; STRICT=1 fails on NON-STRICT too; a missing Python 2.7 fails
# loudly; the client gets --agent.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-${TMPDIR:-/tmp}/autobahn-work}   # shared/ is read-only in CI: work elsewhere
PY2=${PY2:-$HOME/.pyenv/versions/2.7.18/bin/python}
CLIENT=$(readlink -f "$1"); AGENT=$2; EXPECTED=${3:+$(readlink -f "$3")}
CASES=${CASES:-'["*"]'}
if [ ! -x "$PY2" ]; then
  echo "autobahn: CPython 2.7 not found at $PY2 (set PY2): the suite cannot run" >&2
  exit 1
fi
mkdir -p "$WORK"
if [ ! -x "$WORK/venv27/bin/wstest" ]; then
  "$PY2" -m pip install -q --disable-pip-version-check --target "$WORK/py2tools" 'virtualenv<20.22'
  PYTHONPATH="$WORK/py2tools" "$PY2" -m virtualenv -q "$WORK/venv27"
  "$WORK/venv27/bin/pip" install -q --disable-pip-version-check -c "$HERE/constraints-py27.txt" autobahntestsuite==0.8.2
  # bind the fuzzing server to loopback only (upstream binds 0.0.0.0)
  F="$WORK/venv27/lib/python2.7/site-packages/autobahntestsuite/fuzzing.py"
  sed -i "s/^   listenWS(factory, sslContext)/   listenWS(factory, sslContext, interface='127.0.0.1')/" "$F"  # file has CRLF endings
  grep -q "interface='127.0.0.1'" "$F"; rm -f "${F}c"
fi
cd "$WORK"; rm -rf reports
cat > fuzzingserver.json <<JSON
{"url": "ws://127.0.0.1:9001", "outdir": "./reports/clients",
 "cases": $CASES, "exclude-cases": [], "exclude-agent-cases": {}}
JSON
PYTHONWARNINGS=ignore ./venv27/bin/wstest -m fuzzingserver -s fuzzingserver.json -u 0 > wstest.log 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null || true' EXIT
for i in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/9001) 2>/dev/null && break; sleep 0.5; done
timeout 3000 "$CLIENT" --agent "$AGENT"     # client does getCaseCount, runCase 1..N, updateReports?agent=$AGENT
STRICT=${STRICT:-0} python3 - "$WORK/reports/clients/index.json" "$AGENT" "$EXPECTED" <<'PY'
import json, os, sys, collections
got = json.load(open(sys.argv[1]))[sys.argv[2]]
c = collections.Counter(v["behavior"] for v in got.values())
print("autobahn %s: %d cases %s" % (sys.argv[2], len(got), dict(c)))
allowed = ("OK", "INFORMATIONAL", "UNIMPLEMENTED") + (() if os.environ.get("STRICT") == "1" else ("NON-STRICT",))
bad = sorted(k for k, v in got.items() if v["behavior"] not in allowed
             or v["behaviorClose"] not in ("OK", "INFORMATIONAL"))
if sys.argv[3]:
    exp = json.load(open(sys.argv[3]))
    exp = exp.get(sys.argv[2], next(iter(exp.values())))
    s = lambda d: {k: {kk: vv for kk, vv in v.items() if kk not in ("duration", "reportfile")} for k, v in d.items()}
    diff = sorted(k for k in set(s(got)) | set(s(exp)) if s(got).get(k) != s(exp).get(k))
    print("differs from expected in %d cases: %s" % (len(diff), diff[:20]))
    bad = sorted(set(bad) | set(diff))
print("%d passed, %d failed" % (len(got) - len(bad), len(bad)))
sys.exit(1 if bad else 0)
PY
