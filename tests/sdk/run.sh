#!/usr/bin/env bash
# The official openai-python SDK against `cargo run --example mock`: makes
# a virtualenv (kept under the target directory, so later runs reuse it),
# pip-installs `openai` into it, and runs tests/sdk/openai_python.py (a
# plain, a streamed and a tool call, and a quota error). Needs python3 with
# venv and network access to PyPI; .ci/run installs them.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

target="${CARGO_TARGET_DIR:-target}"
venv="${BRISK_SDK_VENV:-$target/sdk-venv}"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade openai

# Built first, so that the script's wait for the server's first line does
# not include the build.
cargo build --quiet --example mock
"$venv/bin/python" tests/sdk/openai_python.py cargo run --quiet --example mock --
