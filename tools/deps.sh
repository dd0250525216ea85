#!/bin/sh
# Install the Debian packages the build and the tests need, and only those
# that are missing; through sudo when not root. Does nothing when all are
# present, so `make test` and `make run` can call it every time.
set -eu
pkgs="build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev
libcurl4-openssl-dev perl curl python3 jq python3-venv python3-setuptools python3-wheel"
# make test: the browsers the dashboard is tested in, openssl for a TLS certificate, nginx for the shards
[ "${1:-}" = test ] && pkgs="$pkgs chromium firefox-esr openssl nginx"
# make bench-compare: the CMA-ES reference
[ "${1:-}" = bench ] && pkgs="$pkgs python3-cmaes python3-numpy"
missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# The contract test runs node; Debian's Node.js only where none is installed
# (a machine image may ship its own, whose npm conflicts with Debian's).
[ "${1:-}" = bench ] || command -v node > /dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
