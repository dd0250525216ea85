#!/bin/sh
# test_loop.sh - flowopt loop against the real daemon: a shell command as
# the instrument, N at once; failures, garbage and timeouts told failed
# with the command's words; SIGINT tells what finished and exits 130; the
# exit codes. TAP on stdout.
set -u
. "$(dirname "$0")/../daemon.sh"
start_daemon loop
cli="$build/flowopt"
counter() { "$cli" get "$1" | jq -r ".counters.$2"; }

cat > "$tmp/sphere.sh" << 'SH'
#!/bin/sh
echo "computing $1 $2" # chatter before the value is fine
echo "$1 $2" | awk '{ print ($1 - 1) * ($1 - 1) + $2 * $2 }'
SH
cat > "$tmp/stdin.sh" << 'SH'
#!/bin/sh
read a b
echo "$a $b" | awk '{ print $1 * $1 + $2 * $2 }'
SH
printf 'echo 1\n' > "$tmp/quick.sh" # exits at once, its stdin unread
cat > "$tmp/flaky.sh" << 'SH'
#!/bin/sh
case "$1" in
-*) echo "the circuit did not converge at $1" >&2; exit 3 ;;
esac
case "$2" in
-*) echo "not a number" ;;
*) echo "$1 $2" | awk '{ print $1 + $2 }' ;;
esac
SH
chmod +x "$tmp"/*.sh

run=$("$cli" create --dim 2 --bounds -5:5 --direction minimize)
"$cli" loop "$run" --cmd "$tmp/sphere.sh" -j 4 --budget 300 2> "$tmp/loop1.err"
rc=$?
ok $rc "flowopt loop runs 300 evaluations, 4 at once"
[ $rc = 0 ] || { echo "# exit $rc; its stderr:"; tail -20 "$tmp/loop1.err" | sed 's/^/#   /'; } >&2
[ "$(counter "$run" told)" = 300 ] && [ "$(counter "$run" pending)" = 0 ]
ok $? "all told, none pending"
"$cli" best "$run" | awk '{ exit !($1 < 1e-3) }'
ok $? "and the sphere at (1, 0) is solved ($("$cli" best "$run" | cut -d' ' -f1))"

run=$("$cli" create --dim 2 --bounds -5:5 --direction minimize)
"$cli" loop "$run" --cmd "$tmp/quick.sh" -j 4 --budget 200
[ $? = 0 ] && [ "$(counter "$run" told)" = 200 ]
ok $? "a command that exits without reading its x line does not kill the loop (SIGPIPE)"

run=$("$cli" create --dim 2 --bounds -5:5 --direction minimize)
"$cli" loop "$run" --cmd "$tmp/stdin.sh" --budget 12
[ $? = 0 ] && [ "$(counter "$run" told)" = 12 ] && [ "$(counter "$run" failed)" = 0 ]
ok $? "a command may read x from its stdin line"

run=$("$cli" create --dim 2 --bounds -5:5 --direction minimize)
"$cli" loop "$run" --cmd "$tmp/flaky.sh" -j 3 --budget 60
nfailed=$(counter "$run" failed)
[ "$nfailed" -gt 0 ] && [ "$(counter "$run" told)" -gt 0 ]
ok $? "a non-zero exit and a line that is no number are told failed ($nfailed of 60)"
"$cli" samples "$run" --status failed > /dev/null &&
    curl -s "$FLOWOPT_URL/v1/runs/$run/samples?status=failed" |
    jq -e '[.samples[].error] | any(test("exit 3: the circuit did not converge")) and any(test("no value"))' > /dev/null
ok $? "with the command's stderr tail, or the missing value, as the error"

run=$("$cli" create --dim 2 --bounds -5:5 --direction minimize)
start=$(date +%s)
"$cli" loop "$run" --cmd "sleep 30; echo 1; :" -j 2 --budget 2 --timeout 0.5
elapsed=$(($(date +%s) - start))
[ "$(counter "$run" failed)" = 2 ] && [ "$elapsed" -lt 10 ] &&
    curl -s "$FLOWOPT_URL/v1/runs/$run/samples?status=failed" |
    jq -e '.samples[0].error | test("timeout")' > /dev/null
ok $? "a command past --timeout is killed and told failed (${elapsed} s)"

run=$("$cli" create --dim 2 --bounds -5:5 --direction minimize)
"$cli" loop "$run" --cmd "sleep 1; echo 0.5; :" -j 2 --budget 100 &
lp=$!
sleep 0.5
kill -INT "$lp"
wait "$lp"
code=$?
asked=$(counter "$run" asked)
[ "$code" = 130 ] && [ "$(counter "$run" pending)" = 0 ] && [ "$(counter "$run" told)" = "$asked" ]
ok $? "SIGINT: the running commands finish and are told, exit 130 (asked $asked)"

"$cli" loop 0000000000000000 --cmd true > /dev/null 2>&1
[ $? = 1 ]
ok $? "an unknown run: exit 1 (an HTTP error)"
"$cli" --url http://127.0.0.1:1 get 0000000000000000 > /dev/null 2>&1
[ $? = 3 ]
ok $? "no daemon at the URL: exit 3 (the network), after its retries"
"$cli" loop "$run" > /dev/null 2>&1
[ $? = 2 ]
ok $? "loop without --cmd: exit 2 (usage)"
"$cli" --help | grep -q "exit codes: 0 ok, 1 HTTP error"
ok $? "--help documents the exit codes"
finish
