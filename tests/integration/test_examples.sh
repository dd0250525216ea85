#!/bin/sh
# test_examples.sh - the examples of examples/ against the real daemon, with
# short budgets, so they never rot. TAP on stdout.
set -u
build=${FLOWOPT_BUILD_DIR:-build/asan}
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowopt-test-XXXXXX")
trap 'kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

"$build/flowoptd" --listen 127.0.0.1:0 --db "$tmp/examples.db" --log-level warn 2> "$tmp/daemon.log" &
pid=$!
port=""
i=0
while [ -z "$port" ] && [ $i -lt 200 ]; do
    port=$(sed -n '1s/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/daemon.log" 2>/dev/null)
    [ -n "$port" ] || sleep 0.05
    i=$((i + 1))
done
if [ -z "$port" ]; then
    echo "Bail out! flowoptd did not start"
    exit 1
fi
export FLOWOPT_URL="http://127.0.0.1:$port"

out=$(sh "$src/examples/asktell.sh" 25 2> "$tmp/asktell.err")
ok $? "examples/asktell.sh runs 25 generations"
best=$(echo "$out" | tail -n 1 | jq -r .value 2> /dev/null)
awk -v b="$best" 'BEGIN { exit !(b != "" && b + 0 < 0.5) }'
ok $? "and gets the shifted sphere below 0.5 (best $best)"

out=$(python3 "$src/examples/vqe_driver.py" 600 2> "$tmp/vqe.err")
ok $? "examples/vqe_driver.py runs 600 evaluations"
energy=$(echo "$out" | sed -n 's/^best energy \([-0-9.]*\).*/\1/p')
awk -v e="$energy" 'BEGIN { exit !(e != "" && e + 0 < -3.0) }'
ok $? "and lowers the energy below -3 (best $energy)"

kill "$pid"
wait "$pid"
ok $? "the daemon stops cleanly"
echo "1..$n"
[ "$failed" -eq 0 ]
