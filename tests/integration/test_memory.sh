#!/bin/sh
# test_memory.sh - four imports at the route's 64 MiB limit: the body is
# read into one buffer sized from Content-Length (grown a chunk at a time it
# churned the allocator: 130 MB above the start for one 62 MB body, under
# the sanitizer), and its pages go back to the system when the request
# ends. The daemon's resident memory is read from /proc. ASan's quarantine
# is off for the daemon, so what is measured is the daemon's own use. TAP.
set -u
. "$(dirname "$0")/../daemon.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0"
start_daemon memory
limit=$((64 * 1024 * 1024))
head -c $((limit - 4096)) /dev/urandom > "$tmp/body"
kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$pid/status"; }
base=$(kb VmRSS)
codes=""
for i in 1 2 3 4; do
    codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$tmp/body" \
        -H 'Content-Type: application/octet-stream' "$FLOWOPT_URL/v1/runs/import")"
done
peak=$(($(kb VmHWM) - base))
# the body is freed when the request completes, just after its answer is
# sent: give the last one up to 3 s to be released
after=$(($(kb VmRSS) - base))
for i in $(seq 30); do
    [ "$after" -le $((limit / 2 / 1024)) ] && break
    sleep 0.1
    after=$(($(kb VmRSS) - base))
done
[ "$codes" = " 422 422 422 422" ]
ok $? "four 64 MiB imports are read and refused as damaged ($codes)"
[ "$peak" -le $((limit * 3 / 2 / 1024)) ]
ok $? "the peak stays within 1.5 times the limit above the start ($((peak / 1024)) MiB)"
[ "$after" -le $((limit / 2 / 1024)) ]
ok $? "and after them the daemon holds at most half the limit more than at the start ($((after / 1024)) MiB)"
finish
