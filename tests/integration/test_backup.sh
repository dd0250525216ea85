#!/bin/sh
# test_backup.sh - flowoptd --backup DEST against a daemon that is writing:
# the copy is consistent (it passes its check, and a daemon started on it
# loads every run undamaged with what was acknowledged before the backup
# began), it never overwrites, and the README's restore procedure works.
# TAP on stdout.
set -u
. "$(dirname "$0")/../daemon.sh"
start_daemon live
cli="$build/flowopt"
run=$("$cli" create --dim 3 --bounds -2:2 --direction minimize)
printf 'echo "$1 $2 $3" | awk "{ print \\$1 * \\$1 + \\$2 * \\$2 + \\$3 * \\$3 }"\n' \
    > "$tmp/sphere.sh"
chmod +x "$tmp/sphere.sh"
"$cli" loop "$run" --cmd "$tmp/sphere.sh" -j 2 --budget 300 2> /dev/null
before=$("$cli" get "$run" | jq .counters.told)
# keep writing while the backup runs
"$cli" loop "$run" --cmd "$tmp/sphere.sh" -j 2 --budget 3000 2> /dev/null &
writer=$!
sleep 0.5
"$build/flowoptd" --db "$tmp/live.db" --backup "$tmp/copy.db" > "$tmp/backup.out" 2>&1
rc=$?
kill "$writer" 2> /dev/null
wait "$writer" 2> /dev/null
[ $rc = 0 ] && [ -s "$tmp/copy.db" ] && [ ! -e "$tmp/copy.db.partial" ]
ok $? "a backup of the database while it is written ($(cat "$tmp/backup.out"))"
"$build/flowoptd" --db "$tmp/live.db" --backup "$tmp/copy.db" > /dev/null 2>&1
[ $? -ne 0 ]
ok $? "a second backup to the same file is refused: a backup never overwrites"
"$build/flowoptd" --db "$tmp/none.db" --backup "$tmp/none-copy.db" > /dev/null 2>&1
[ $? -ne 0 ] && [ ! -e "$tmp/none-copy.db" ]
ok $? "a backup of a missing database fails and leaves nothing"
kill "$pid"
wait "$pid" 2> /dev/null
# the restore procedure (README): stop, put the copy in place, start
mkdir "$tmp/restored"
cp "$tmp/copy.db" "$tmp/restored/flowopt.db"
"$build/flowoptd" --listen 127.0.0.1:0 --db "$tmp/restored/flowopt.db" 2> "$tmp/restored.log" &
pid=$!
port=""
for i in $(seq 100); do
    port=$(sed -n '1s/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/restored.log")
    [ -n "$port" ] && break
    sleep 0.05
done
restored=$("$cli" --url "http://127.0.0.1:$port" get "$run")
state=$(echo "$restored" | jq -r .state)
told=$(echo "$restored" | jq .counters.told)
[ "$state" = active ] && [ "$told" -ge "$before" ]
ok $? "a daemon on the restored copy has the run whole ($state, $told told >= the $before before)"
"$cli" --url "http://127.0.0.1:$port" loop "$run" --cmd "$tmp/sphere.sh" --budget 20 2> /dev/null
ok $? "and goes on with it"
finish
