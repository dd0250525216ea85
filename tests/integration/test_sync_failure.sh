#!/bin/sh
# test_sync_failure.sh - durability full after a failed fdatasync: the tell
# whose sync failed is refused, and so is every later write (the kernel may
# have dropped the pages, and the WAL's chained checksums would drop every
# later frame with them) until the daemon is restarted; health says
# degraded meanwhile. The failure is injected by an LD_PRELOAD shim
# (tests/shim/fail_sync.c) that fails one sync when a trigger file exists.
# TAP on stdout.
set -u
. "$(dirname "$0")/../daemon.sh"
shim="$(cd "$build" && pwd)/tests/shim/fail_sync.so"
[ -f "$shim" ] || { echo "Bail out! $shim is not built (make tests)"; exit 1; }
trigger="$tmp/fail-next-sync"

start() {
    starts=$((${starts:-0} + 1))
    LD_PRELOAD="$shim" FO_FAIL_SYNC="$trigger" \
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
        "$build/flowoptd" --init --listen 127.0.0.1:0 --db "$tmp/sync.db" --durability full \
        --log-level warn 2> "$tmp/daemon$starts.log" &
    pid=$!
    port="" i=0
    while [ -z "$port" ] && [ $i -lt 200 ]; do
        port=$(sed -n '1s/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/daemon$starts.log")
        [ -n "$port" ] || sleep 0.05
        i=$((i + 1))
    done
    [ -n "$port" ] || { echo "Bail out! flowoptd did not start"; exit 1; }
    url="http://127.0.0.1:$port"
}

# tell ID VALUE: prints the status; the answer in $tmp/body
tell() {
    curl -s -o "$tmp/body" -w '%{http_code}' -X POST "$url/v1/runs/$run/tell" \
        -H 'Content-Type: application/json' \
        -d "{\"results\": [{\"id\": \"$1\", \"value\": $2}]}"
}

start
run=$(curl -s -X POST "$url/v1/runs" -H 'Content-Type: application/json' \
    -d '{"dim": 2, "direction": "minimize"}' | jq -r .id)
ids=$(curl -s -X POST "$url/v1/runs/$run/ask" -H 'Content-Type: application/json' \
    -d '{"n": 3}' | jq -r '.samples[].id')
set -- $ids
a=$1 b=$2 c=$3
[ "$(tell "$a" 1)" = 200 ]
ok $? "with durability full a tell is acknowledged"

: > "$trigger"
code=$(tell "$b" 2)
[ "$code" = 503 ] && [ ! -e "$trigger" ] && jq -e '.detail | test("sync")' "$tmp/body" > /dev/null
ok $? "the tell whose sync failed is refused ($code: $(jq -r .detail "$tmp/body"))"
code=$(tell "$c" 3)
[ "$code" = 503 ]
ok $? "and so is the next one, though the disk syncs again ($code)"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -X POST "$url/v1/runs/$run/ask" \
    -H 'Content-Type: application/json' -d '{"n": 1}')
[ "$code" = 503 ]
ok $? "and an ask ($code)"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$url/v1/health")
[ "$code" = 503 ] && jq -e '.status == "degraded" and (.reason | test("restart"))' "$tmp/body" > /dev/null
ok $? "health says degraded with the reason ($code $(jq -c . "$tmp/body"))"
grep -q "warn" "$tmp/daemon$starts.log"
ok $? "the refusals are logged at warn"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/runs/$run")
[ "$code" = 200 ]
ok $? "reads still work ($code)"

kill -9 "$pid"
wait "$pid" 2> /dev/null
start
code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$url/v1/health")
[ "$code" = 200 ]
ok $? "restarted (the database reopened and recovered), health is ok ($code)"
[ "$(tell "$b" 2)" = 200 ] && [ "$(tell "$c" 3)" = 200 ]
ok $? "the refused tells, sent again, are taken"
curl -s "$url/v1/runs/$run/samples?status=told" |
    jq -e --arg a "$a" '[.samples[] | select(.id == $a and .value == 1)] | length == 1' > /dev/null
ok $? "the acknowledged value is there"
kill "$pid"
wait "$pid" 2> /dev/null
pid=""
finish
