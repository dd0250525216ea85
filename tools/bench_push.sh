#!/bin/sh
# bench_push.sh BUILD_DIR - push mode's throughput: the daemon pushing
# batches of 50 to a zero-cost evaluator on loopback (tests/python/
# evaluator.py, /ok), evaluations told per second over a run of 20,000.
# One JSON line on stdout.
set -eu
build=${1:-build}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowopt-bench-XXXXXX")
trap 'kill $dpid $epid 2>/dev/null; rm -rf "$tmp"' EXIT
python3 "$(dirname "$0")/../tests/python/evaluator.py" > "$tmp/port" &
epid=$!
while [ ! -s "$tmp/port" ]; do sleep 0.05; done
eport=$(head -1 "$tmp/port")
"$build/flowoptd" --init --listen 127.0.0.1:0 --db "$tmp/b.db" --log-level warn \
    --evaluator-allow "127.0.0.1:$eport" 2> "$tmp/d.log" &
dpid=$!
while ! grep -q "^listening on" "$tmp/d.log" 2>/dev/null; do sleep 0.05; done
url=http://$(sed -n 's/^listening on //p' "$tmp/d.log")
budget=20000
t0=$(date +%s.%N)
run=$(curl -s -X POST "$url/v1/runs" -H 'Content-Type: application/json' -d \
    "{\"dim\": 10, \"direction\": \"minimize\", \"budget\": $budget,
      \"bounds\": {\"lo\": -5, \"hi\": 5}, \"batch_size\": 50,
      \"evaluator\": {\"url\": \"http://127.0.0.1:$eport/ok\", \"batch\": 50,
                     \"concurrency\": 4}}" | jq -r .id)
while [ "$(curl -s "$url/v1/runs/$run" | jq -r .counters.told)" -lt $budget ]; do
    sleep 0.05
done
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v n=$budget 'BEGIN {
    printf "{\"bench\": \"push\", \"batch\": 50, \"concurrency\": 4, \"dim\": 10, \"evaluations\": %d, \"seconds\": %.2f, \"evaluations_per_s\": %.0f}\n", n, b - a, n / (b - a) }'
