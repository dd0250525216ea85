#!/bin/sh
# test_examples.sh - the examples of examples/ against the real daemon, with
# short budgets, so they never rot. TAP on stdout.
set -u
. "$(dirname "$0")/../daemon.sh"
# with API tokens on, as a lab network deployment would have them
echo "examples-token-0123456789abcdef" > "$tmp/tokens"
start_daemon examples --tokens-file "$tmp/tokens"
export FLOWOPT_TOKEN=examples-token-0123456789abcdef

out=$(sh "$src/examples/asktell.sh" 25 2> "$tmp/asktell.err")
ok $? "examples/asktell.sh runs 25 generations"
best=$(echo "$out" | tail -n 1 | jq -r .value 2> /dev/null)
awk -v b="$best" 'BEGIN { exit !(b != "" && b + 0 < 0.5) }'
ok $? "and gets the shifted sphere below 0.5 (best $best)"

out=$(python3 "$src/examples/vqe_driver.py" 600 2> "$tmp/vqe.err")
ok $? "examples/vqe_driver.py runs 600 evaluations"
energy=$(echo "$out" | sed -n 's/^best energy \([-0-9.]*\).*/\1/p')
awk -v e="$energy" 'BEGIN { exit !(e != "" && e + 0 < -3.5) }'
ok $? "and, asking what each generation wants on periodic angles, lowers the energy below -3.5 (best $energy)"

kill "$pid"
wait "$pid"
ok $? "the daemon stops cleanly"
finish
