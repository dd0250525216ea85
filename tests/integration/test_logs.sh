#!/bin/sh
# test_logs.sh - --log-format json against the real daemon: after the
# "listening on" line every line is one JSON object; a request's line has
# its method, path, status, duration and request id; that id comes back as
# X-Request-Id, a well-formed id from the client (a proxy's) is kept and a
# malformed one replaced; hostile text stays inside its string. TAP.
set -u
. "$(dirname "$0")/../daemon.sh"
start_daemon logs --log-format json --log-level info
id=$(curl -s -D - -o /dev/null "$FLOWOPT_URL/v1/health" | tr -d '\r' |
    sed -n 's/^X-Request-Id: //Ip')
[ -n "$id" ]
ok $? "an answer carries X-Request-Id ($id)"
kept=$(curl -s -D - -o /dev/null -H 'X-Request-Id: lab-7.step:3' "$FLOWOPT_URL/v1/runs/nope" |
    tr -d '\r' | sed -n 's/^X-Request-Id: //Ip')
[ "$kept" = "lab-7.step:3" ]
ok $? "a client's well-formed id is kept ($kept)"
swapped=$(curl -s -D - -o /dev/null -H 'X-Request-Id: two words' "$FLOWOPT_URL/v1/health" |
    tr -d '\r' | sed -n 's/^X-Request-Id: //Ip')
[ -n "$swapped" ] && [ "$swapped" != "two words" ]
ok $? "a malformed one is replaced ($swapped)"
curl -s -o /dev/null -X 'A"B}' "$FLOWOPT_URL/v1/health%0a%22x"
kill "$pid"
wait "$pid" 2> /dev/null
pid=""
python3 - "$log" "$id" > "$tmp/check.out" << 'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0].startswith("listening on "), lines[0]
objs = [json.loads(l) for l in lines[1:]]          # each line one object
assert all({"time", "level", "where", "msg"} <= o.keys() for o in objs)
reqs = [o for o in objs if o["where"] == "request"]
first = next(o for o in reqs if o["request_id"] == sys.argv[2])
assert first["method"] == "GET" and first["path"] == "/v1/health" and first["status"] == 200
assert isinstance(first["duration_us"], (int, float))
assert any(o["request_id"] == "lab-7.step:3" and o["status"] == 404 for o in reqs)
hostile = [o for o in reqs if o["status"] in (400, 405)]
assert hostile and all("\n" not in o["path"] for o in hostile)
print(len(objs))
PY
ok $? "every line after the first is JSON; request lines carry method, path, status, duration and the id ($(cat "$tmp/check.out") objects)"
finish
