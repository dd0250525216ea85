#!/bin/sh
# test_slow_clients.sh - 1,500 slowloris sockets against the real daemon (on
# epoll, with a per-address limit and a header deadline a trickle cannot
# extend) while a normal client's requests are all answered; and a request
# past --max-connections answered 503. tests/python/slow_clients.py drives
# the sockets. TAP on stdout.
set -u
. "$(dirname "$0")/../daemon.sh"
start_daemon slow --header-timeout 2
python3 "$src/tests/python/slow_clients.py" "$FLOWOPT_URL" slow 1500 > "$tmp/slow.tap"
rc1=$?
kill "$pid"
wait "$pid" 2> /dev/null
start_daemon limit --max-connections 20
python3 "$src/tests/python/slow_clients.py" "$FLOWOPT_URL" limit 20 > "$tmp/limit.tap"
rc2=$?
kill "$pid"
wait "$pid" 2> /dev/null
pid=""
cat "$tmp/slow.tap" "$tmp/limit.tap" | grep -v '^1\.\.' |
    awk '/^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n) } { print } END { print "1.." n }'
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]
