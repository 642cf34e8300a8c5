#!/usr/bin/env bash
# Makes the virtualenv of the multipart interop test
# (tests/multipart_interop.rs) and pip-installs its two parsers into it:
# python-multipart (the parser inside Starlette and FastAPI) and the
# `multipart` package. Kept under the target directory, where the test
# looks first, so later runs reuse it; BRISK_MULTIPART_VENV names another
# place. Needs python3 with venv and access to PyPI; .ci/run installs
# them, runs this, and sets BRISK_REQUIRE_MULTIPART=1 so that the test
# fails rather than skips without it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

target="${CARGO_TARGET_DIR:-target}"
venv="${BRISK_MULTIPART_VENV:-$target/multipart-venv}"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade python-multipart multipart
