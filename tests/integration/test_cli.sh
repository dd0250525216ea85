#!/bin/sh
# test_cli.sh - the flowopt client in a shell ask/tell loop against the real
# daemon. TAP on stdout.
set -u
. "$(dirname "$0")/../daemon.sh"
start_daemon cli
cli="$build/flowopt"

run=$("$cli" create --dim 2 --bounds -5:5 --direction minimize --batch 8 --name cli)
ok $? "flowopt create prints a run id ($run)"
g=0
while [ $g -lt 20 ]; do
    "$cli" ask "$run" -n 8 |
        awk '{ printf "%s %.17g\n", $1, ($2 - 1) ^ 2 + ($3 + 2) ^ 2 }' |
        "$cli" tell "$run" > "$tmp/tell.out" || break
    g=$((g + 1))
done
[ $g -eq 20 ]
ok $? "20 generations of ask | measure | tell"
grep -q "^accepted 8 duplicates 0 updates 1$" "$tmp/tell.out"
ok $? "tell reports what it recorded ($(cat "$tmp/tell.out"))"
best=$("$cli" best "$run")
echo "$best" | awk '{ exit !($1 < 0.5 && NF == 3) }'
ok $? "flowopt best: value and x ($best)"
id=$("$cli" ask "$run" -n 1 | cut -d' ' -f1)
echo "$id failed" | "$cli" tell "$run" | grep -q "^accepted 1 "
ok $? "a failed evaluation is told as 'id failed'"
[ "$(echo "1 failed" | "$cli" tell "$run" > /dev/null 2>&1; echo $?)" = 1 ]
ok $? "a result that contradicts a recorded one makes tell exit 1"
echo "1 not-a-number" | "$cli" tell "$run" > /dev/null 2>&1
[ $? -eq 2 ]
ok $? "a malformed line is refused before anything is sent (exit 2)"
sid=$("$cli" ask "$run" -n 1 | cut -d' ' -f1)
echo "$sid 0.25 0.0125 4000" | "$cli" tell "$run" | grep -q "^accepted 1 " &&
    "$cli" samples "$run" --status told | grep -q "^$sid,[0-9]*,told,0.25,[^,]*,[^,]*,[^,]*,0.0125,4000,"
ok $? "tell 'id value stderr shots': stored, and in the samples CSV"
sid=$("$cli" ask "$run" -n 1 | cut -d' ' -f1)
echo "$sid 0.5 -1" | "$cli" tell "$run" 2> "$tmp/se.err" > /dev/null
[ $? -eq 1 ] && grep -q "stderr" "$tmp/se.err" &&
    "$cli" samples "$run" --status pending | grep -q "^$sid,"
ok $? "a negative stderr is refused naming the field, the sample still pending"
lid=$("$cli" ask "$run" -n 1 | cut -d' ' -f1)
echo "$lid lost" | "$cli" tell "$run" | grep -q "^accepted 1 " &&
    "$cli" samples "$run" --status lost | grep -q "^$lid," &&
    "$cli" ask "$run" -n 1 > "$tmp/again.out" &&
    "$cli" samples "$run" --status pending | grep -q "^$(cut -d' ' -f1 "$tmp/again.out"),[^,]*,pending,.*,$lid,"
ok $? "tell 'id lost': listed lost, its point asked again with reissue_of $lid"
cid=$("$cli" ask "$run" -n 2 --client rig-1 --lease 600 | cut -d' ' -f1 | head -1)
[ "$("$cli" ask "$run" -n 2 --client rig-1 --resume | cut -d' ' -f1 | head -1)" = "$cid" ] &&
    [ "$("$cli" leases "$run" rig-1)" = 2 ]
ok $? "ask --client --lease, --resume hands them back, leases renews both"
mid=$("$cli" ask "$run" -n 1 | cut -d' ' -f1)
echo "$mid 0.75 cost=120 metric.fidelity=0.98 meta.backend=ibm_kyiv" | "$cli" tell "$run" | grep -q "^accepted 1 " &&
    "$cli" samples "$run" --status told | grep "^$mid," | grep -q ',120,"{""backend"":""ibm_kyiv""}","{""fidelity"":0.98}"'
ok $? "tell 'id value cost= metric.N= meta.N=': stored, and in the samples CSV"
echo "$mid 0.75 colour=red" | "$cli" tell "$run" > /dev/null 2>&1
[ $? -eq 2 ]
ok $? "an unknown NAME= is refused before anything is sent (exit 2)"
before=$("$cli" get "$run" | grep -o '"observed": *[0-9]*' | grep -o '[0-9]*$')
printf '0.5 0.5 7.5\n-0.25 0.125 8.5\n' | "$cli" observe "$run" | grep -q "^accepted 2$" &&
    "$cli" samples "$run" --status told | grep -q ",observed,0.5,0.5$"
ok $? "flowopt observe reads 'x1 x2 value' lines (observed before: $before)"
echo "0.5 oops" | "$cli" observe "$run" > /dev/null 2>&1
[ $? -eq 2 ]
ok $? "a line that is not numbers is refused before anything is sent (exit 2)"
"$cli" --json ask "$run" -n 2 | jq -e '.samples | length == 2' > /dev/null &&
    "$cli" --json history "$run" | jq -e '.steps | length > 0' > /dev/null &&
    "$cli" --json samples "$run" | jq -e '.samples[0].id' > /dev/null &&
    "$cli" --json get "$run" | jq -e '.id' > /dev/null
ok $? "--json prints the daemon's JSON (ask, history, samples, get)"
"$cli" modes "$run" > "$tmp/modes.out" && head -1 "$tmp/modes.out" | grep -Eq "^active +[-0-9.e]+ +[0-9]+ +[-0-9.e]+ +[-0-9.e]+$"
ok $? "flowopt modes: the active mode first ($(head -1 "$tmp/modes.out"))"
"$cli" ask 0000000000000000 > /dev/null 2>&1
[ $? -eq 1 ]
ok $? "an unknown run makes ask exit 1"
"$cli" get "$run" | grep -q '"name":"cli"'
ok $? "flowopt get prints the run object"

"$cli" list > "$tmp/list"
grep -Eq "^$run +active +1[0-9][0-9] +[-0-9.e]+ +cli$" "$tmp/list"
ok $? "flowopt list: id state told best name, aligned ($(cat "$tmp/list"))"
"$cli" --tsv list | grep -q "^$run	active	1[0-9][0-9]	[-0-9.e]*	cli$" &&
    [ "$("$cli" --tsv history "$run" | head -1 | cut -f1)" = step ] &&
    "$cli" --tsv samples "$run" | awk -F'\t' 'NR > 1 { n = NF } END { exit !(n >= 17) }'
ok $? "--tsv: list, history and samples tab-separated"
"$cli" history "$run" > "$tmp/history.csv"
updates=$("$cli" get "$run" | grep -o '"updates": *[0-9]*' | grep -o '[0-9]*$')
[ "$(head -1 "$tmp/history.csv" | cut -d, -f1)" = step ] && [ -n "$updates" ] &&
    [ "$updates" -ge 20 ] && [ "$(wc -l < "$tmp/history.csv")" -eq $((updates + 1)) ]
ok $? "flowopt history: a CSV header and one row per update"
"$cli" samples "$run" --status failed > "$tmp/failed.csv"
[ "$(wc -l < "$tmp/failed.csv")" -eq 2 ] && grep -q "^$id,[0-9]*,failed," "$tmp/failed.csv"
ok $? "flowopt samples --status failed: the one failed sample"
"$cli" set "$run" state=paused budget=5000 optimizer.kl_target=0.5 target=null > "$tmp/set.json"
grep -q '"state":"paused"' "$tmp/set.json" && grep -q '"budget":5000' "$tmp/set.json" &&
    grep -q '"kl_target":0.5' "$tmp/set.json"
ok $? "flowopt set KEY=VALUE... changes the run"
"$cli" set "$run" budget=-1 > /dev/null 2>&1
[ $? -eq 1 ]
ok $? "a refused setting makes set exit 1"
"$cli" set "$run" flow.bins=3 2> "$tmp/set.err"
[ $? -eq 2 ] && grep -q "flow.bins cannot change on a live run" "$tmp/set.err"
ok $? "a setting that is not live is refused before sending (exit 2)"
"$cli" set "$run" budget=1.5 2> /dev/null
[ $? -eq 2 ]
ok $? "a value of the wrong type is refused before sending (exit 2)"
"$cli" --help > "$tmp/help"
missing=$(curl -s "$FLOWOPT_URL/v1/settings" | jq -r '.settings[] | select(.live) | .name' |
    while read -r k; do grep -q "[ ,]$k\(,\|$\)" "$tmp/help" || echo "$k"; done)
[ -z "$missing" ] && [ "$(curl -s "$FLOWOPT_URL/v1/settings" | jq '[.settings[] | select(.live)] | length')" -gt 0 ]
ok $? "--help lists every live setting of the daemon's table (missing: ${missing:-none})"
cid=$("$cli" checkpoint "$run")
"$cli" export "$run" "$cid" > "$tmp/run.bin" && [ -s "$tmp/run.bin" ]
ok $? "flowopt checkpoint ($cid) and export ($(wc -c < "$tmp/run.bin") bytes)"
copy=$("$cli" import --name "a copy" < "$tmp/run.bin")
"$cli" get "$copy" | grep -q '"name":"a copy"'
ok $? "flowopt import makes a new run from the bytes ($copy)"
fork=$("$cli" fork "$run" --checkpoint "$cid" --name forked)
"$cli" get "$fork" | grep -q '"name":"forked"'
ok $? "flowopt fork ($fork)"
"$cli" delete "$fork" && ! "$cli" get "$fork" > /dev/null 2>&1
ok $? "flowopt delete removes it"
"$cli" ask 'not;an-id' > /dev/null 2>&1
[ $? -eq 2 ]
ok $? "an argument that is not a run id is refused before sending (exit 2)"
finish
