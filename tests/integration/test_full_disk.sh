#!/bin/sh
# test_full_disk.sh - the real daemon with its database on a small tmpfs
# that a filler file makes full: asks and tells it cannot commit get a 5xx
# problem+json and are not acknowledged; once there is room the next
# requests succeed, and after kill -9 every acknowledged value is there and
# nothing refused is. Needs to mount a tmpfs (root); skipped where it
# cannot. TAP on stdout.
set -u
. "$(dirname "$0")/../daemon.sh"
mnt="$tmp/small"
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=4m tmpfs "$mnt" 2> /dev/null; then
    echo "1..0 # SKIP cannot mount a tmpfs here"
    exit 0
fi
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; umount "$mnt" 2>/dev/null; rm -rf "$tmp"' EXIT

start_on() {
    starts=$((${starts:-0} + 1))
    "$build/flowoptd" --init --listen 127.0.0.1:0 --db "$mnt/full.db" --log-level info \
        2> "$tmp/daemon$starts.log" &
    pid=$!
    port=""
    i=0
    while [ -z "$port" ] && [ $i -lt 400 ]; do
        port=$(sed -n '1s/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/daemon$starts.log")
        [ -n "$port" ] || sleep 0.05
        i=$((i + 1))
    done
    url="http://127.0.0.1:$port"
}

# status of a request; its body in $tmp/body
req() {
    curl -s -o "$tmp/body" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' "$url$2" ${3:+-d "$3"}
}

start_on
run=$(curl -s -X POST "$url/v1/runs" -H 'Content-Type: application/json' -d '{"dim": 4, "direction": "minimize", "batch_size": 50}' |
    jq -r .id)
[ -n "$run" ] && [ "$run" != null ]
ok $? "a run on the small disk ($run)"
code=$(req POST "/v1/runs/$run/ask" '{"n": 50}')
[ "$code" = 200 ]
ok $? "50 samples asked while there is room"
acked=50

# Fill the disk, then ask until a commit needs a page the disk has not got
# (the first asks may still fit the write-ahead log's existing pages).
dd if=/dev/zero of="$mnt/filler" bs=64k 2> /dev/null
refused=""
i=0
while [ $i -lt 200 ] && [ -z "$refused" ]; do
    code=$(req POST "/v1/runs/$run/ask" '{"n": 50}')
    case $code in
    200) acked=$((acked + 50)) ;;
    5*) refused=$code ;;
    *) refused="unexpected $code" ;;
    esac
    i=$((i + 1))
done
case $refused in 507) r=0 ;; *) r=1 ;; esac
ok $r "on a full disk an ask gets a 507 (${refused:-none in 200 asks}; $acked samples acknowledged)"
jq -e '.status == 507 and .title == "storage full" and (.detail | test("full"))' \
    "$tmp/body" > /dev/null
ok $? "as application/problem+json naming the cause ($(jq -c . "$tmp/body" 2> /dev/null))"
grep -q "warn.*storage full" "$tmp/daemon$starts.log"
ok $? "and logged at warn"
tell_body=$(curl -s "$url/v1/runs/$run/samples?status=pending&limit=50" |
    jq -c '{results: [.samples[] | {id, value: 1.5}]}')
[ "$(echo "$tell_body" | jq '.results | length')" = 50 ]
ok $? "the samples of the refused asks are not pending: only the acknowledged 50 are"
code=$(req POST "/v1/runs/$run/tell" "$tell_body")
case $code in 5*) r=0 ;; *) r=1 ;; esac
ok $r "a tell it cannot commit gets a 5xx too ($code)"

rm -f "$mnt/filler"
code=$(req POST "/v1/runs/$run/tell" "$tell_body")
told=$(jq -r .accepted "$tmp/body")
[ "$code" = 200 ] && [ "$told" = 50 ]
ok $? "with room again, the same tell is accepted whole ($code, $told new)"
code=$(req POST "/v1/runs/$run/ask" '{"n": 5}')
[ "$code" = 200 ]
ok $? "and the daemon asks on ($code)"
acked=$((acked + 5))

kill -9 "$pid"
wait "$pid" 2> /dev/null
start_on
counters=$(curl -s "$url/v1/runs/$run" | jq -c .counters)
[ "$(echo "$counters" | jq .asked)" = "$acked" ] && [ "$(echo "$counters" | jq .told)" = 50 ]
ok $? "after kill -9: exactly the acknowledged samples and values ($counters, $acked asked)"
kill "$pid"
wait "$pid"
ok $? "the daemon stops cleanly"
if [ "$failed" -gt 0 ]; then # what the daemons said, for the failure's reader
    for f in "$tmp"/daemon*.log; do
        echo "# $f:"
        tail -n 15 "$f" | sed 's/^/#   /'
    done
    df -k "$mnt" | sed 's/^/# /'
fi
finish
