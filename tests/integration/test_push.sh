#!/bin/sh
# test_push.sh - push-mode evaluators: the daemon calls an evaluator (a
# Python http.server) itself, to the budget; timeouts, 500s, garbage and
# closed connections are told failed with the reason; a URL off the
# --evaluator-allow list is refused; a paused run stops calling; after
# kill -9 the run goes on with nothing told lost. TAP on stdout.
set -u
. "$(dirname "$0")/../daemon.sh"
python3 "$src/tests/python/evaluator.py" > "$tmp/evaluator.port" 2> "$tmp/evaluator.err" &
epid=$!
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; kill "$epid" 2>/dev/null; rm -rf "$tmp"' EXIT
i=0
while [ ! -s "$tmp/evaluator.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
eport=$(head -1 "$tmp/evaluator.port")
start_daemon push --evaluator-allow "127.0.0.1:$eport"
E="http://127.0.0.1:$eport"

create() { # PATH BUDGET EXTRA: a run with that evaluator, its id
    curl -s -X POST "$FLOWOPT_URL/v1/runs" -H 'Content-Type: application/json' -d \
        "{\"dim\": 2, \"direction\": \"minimize\", \"bounds\": {\"lo\": -5, \"hi\": 5},
          \"budget\": $2, \"evaluator\": {\"url\": \"$E$1\", \"batch\": 6 $3}}" | jq -r .id
}
counter() { curl -s "$FLOWOPT_URL/v1/runs/$1" | jq -r ".counters.$2"; }
wait_for() { # RUN COUNTER AT_LEAST SECONDS (n is the TAP count)
    w=0
    while [ "$(counter "$1" "$2")" -lt "$3" ] && [ $w -lt $(($4 * 10)) ]; do
        sleep 0.1
        w=$((w + 1))
    done
    [ "$(counter "$1" "$2")" -ge "$3" ]
}
error_of() { curl -s "$FLOWOPT_URL/v1/runs/$1/samples?status=failed&limit=1" | jq -r '.samples[0].error'; }

run=$(create /ok 300 ', "concurrency": 2')
wait_for "$run" told 300 60
ok $? "the daemon pushes to the evaluator until the budget (300 told)"
best=$(curl -s "$FLOWOPT_URL/v1/runs/$run/best" | jq -r .value)
awk -v b="$best" 'BEGIN { exit !(b < 1e-2) }'
ok $? "and the sphere is minimised (best $best)"
[ "$(curl -s "$FLOWOPT_URL/v1/runs/$run" | jq -r .evaluator.concurrency)" = 2 ]
ok $? "GET shows the evaluator, defaults filled in"

code=$(curl -s -o "$tmp/refused.json" -w '%{http_code}' -X POST "$FLOWOPT_URL/v1/runs" \
    -H 'Content-Type: application/json' -d \
    "{\"dim\": 2, \"direction\": \"minimize\", \"evaluator\": {\"url\": \"http://127.0.0.1:1/x\"}}")
[ "$code" = 400 ] && [ "$(jq -r .field "$tmp/refused.json")" = evaluator.url ]
ok $? "a URL off the --evaluator-allow list is refused, naming evaluator.url ($code)"

run=$(create /500 12 ', "retries": 1')
wait_for "$run" failed 6 20 && error_of "$run" | grep -q "HTTP 500"
ok $? "a 500, retried once, is told failed with the reason ($(error_of "$run"))"
curl -s "$FLOWOPT_URL/metrics" | awk '/^flowopt_push_retries_total/ { r = $2 } /^flowopt_push_failures_total/ { f = $2 } END { exit !(r > 0 && f > 0) }'
ok $? "/metrics counts the retries and the failures"
curl -s -X PATCH -H 'Content-Type: application/json' "$FLOWOPT_URL/v1/runs/$run" -d '{"state": "paused"}' > /dev/null

run=$(create /garbage 6 '')
wait_for "$run" failed 6 20 && error_of "$run" | grep -q "not {"
ok $? "garbage is told failed with the reason"
run=$(create /slow 6 ', "timeout_s": 0.5, "retries": 0')
wait_for "$run" failed 6 20 && error_of "$run" | grep -qi "timeout\|timed out"
ok $? "a call past timeout_s is told failed ($(error_of "$run"))"
run=$(create /close 6 ', "retries": 0')
wait_for "$run" failed 6 20 && error_of "$run" | grep -q "could not be reached"
ok $? "a closed connection is told failed ($(error_of "$run"))"
run=$(create /partial 6 '')
wait_for "$run" failed 3 20 && [ "$(counter "$run" told)" -ge 3 ] && error_of "$run" | grep -q "missing"
ok $? "samples missing from the answer are told failed, the rest told"

run=$(create /ok 100000 '')
wait_for "$run" told 30 20
curl -s -X PATCH -H 'Content-Type: application/json' "$FLOWOPT_URL/v1/runs/$run" -d '{"state": "paused"}' > /dev/null
sleep 0.5
c1=$(curl -s "$E/calls?run=$run" | jq -r .calls)
sleep 1
c2=$(curl -s "$E/calls?run=$run" | jq -r .calls)
[ "$c1" = "$c2" ]
ok $? "a paused run is not called ($c1 calls, then $c2)"

run=$(create /ok 600 ', "concurrency": 2')
wait_for "$run" told 60 30
kill -9 "$pid"
wait "$pid" 2> /dev/null
start_daemon push --evaluator-allow "127.0.0.1:$eport"
before=$(counter "$run" told)
wait_for "$run" told 600 90
ok $? "after kill -9 mid-push the run goes on to its budget ($before told at the restart)"
[ "$before" -ge 60 ]
ok $? "with nothing told before it lost"
finish
