#!/bin/sh
# bench_robust.sh BUILD_DIR - the daemon under hostile and unlucky load, as
# JSON lines: one tell of 100,000 results (seconds), resident memory around
# four imports at the 64 MiB limit (MiB above the start: peak and after),
# and a normal client's answers while 1,500 slowloris sockets trickle
# (tests/python/slow_clients.py).
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowopt-bench-XXXXXX")
dpid=""
trap '[ -n "$dpid" ] && kill $dpid 2>/dev/null; rm -rf "$tmp"' EXIT
start() {
    rm -f "$tmp"/b.db*
    "$build/flowoptd" --init --listen 127.0.0.1:0 --db "$tmp/b.db" --log-level error "$@" \
        2> "$tmp/d.log" &
    dpid=$!
    while ! grep -q "^listening on" "$tmp/d.log" 2>/dev/null; do sleep 0.05; done
    url=http://$(sed -n 's/^listening on //p' "$tmp/d.log")
}
stop() { kill "$dpid"; wait "$dpid" 2> /dev/null || true; dpid=""; }

start
python3 "$here/bench_tell.py" "$url" 100000
stop

start
kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$dpid/status"; }
head -c $((64 * 1024 * 1024 - 4096)) /dev/urandom > "$tmp/body"
base=$(kb VmRSS)
for i in 1 2 3 4; do
    curl -s -o /dev/null -X POST -H 'Content-Type: application/octet-stream' --data-binary @"$tmp/body" "$url/v1/runs/import"
done
echo "{\"bench\": \"imports_64mib_x4\", \"rss_start_mib\": $((base / 1024)), \"peak_above_mib\": $((($(kb VmHWM) - base) / 1024)), \"after_above_mib\": $((($(kb VmRSS) - base) / 1024))}"
stop

start --header-timeout 2
answered=$(python3 "$here/../tests/python/slow_clients.py" "$url" slow 1500 |
    sed -n 's/.*got \([0-9]*\) of 36 answers.*/\1/p')
echo "{\"bench\": \"slowloris_1500\", \"normal_client_answered\": ${answered:-0}, \"of\": 36}"
stop
