#!/bin/sh
# test_python.sh - the Python client package (clients/python) installed
# offline into a fresh virtual environment (Debian's python3-venv; the
# system's setuptools and wheel build it) and run against the real daemon.
# TAP on stdout.
set -u
. "$(dirname "$0")/../daemon.sh"
start_daemon python
cp -r "$src/clients/python" "$tmp/pkg" # the build leaves files beside it
if ! /usr/bin/python3 -m venv --system-site-packages "$tmp/venv" > "$tmp/venv.log" 2>&1 ||
    ! "$tmp/venv/bin/pip" install -q --no-build-isolation --no-index "$tmp/pkg" \
        >> "$tmp/venv.log" 2>&1; then
    echo "not ok 1 - the package installs into a fresh virtual environment"
    sed 's/^/# /' "$tmp/venv.log"
    echo "1..1"
    exit 1
fi
echo "# installed into $tmp/venv"
cd "$tmp" && "$tmp/venv/bin/python" "$src/tests/python/test_client.py"
