#!/bin/sh
# test_dashboard.sh - the dashboard in real browsers (Debian's chromium and
# firefox-esr, driven by puppeteer-core from tools/node_modules) against the real
# daemon, with a run optimizing in the background. TAP on stdout.
set -u
. "$(dirname "$0")/../daemon.sh"
if [ ! -d "$src/tools/node_modules/puppeteer-core" ]; then
    (cd "$src/tools" && npm ci --no-audit --no-fund --loglevel=error) > /dev/null 2>&1
fi
start_daemon dashboard
cli="$build/flowopt"
cat > "$tmp/measure.sh" << 'SH'
#!/bin/sh
sleep 0.01
echo "$1 $2" | awk '{ print ($1 - 1) ^ 2 + ($2 + 2) ^ 2 }'
SH
chmod +x "$tmp/measure.sh"
# a run for each browser, each optimizing in the background
runs="" loops=""
for b in chromium firefox; do
    run=$(curl -s -X POST "$FLOWOPT_URL/v1/runs" -H 'Content-Type: application/json' \
        -d '{"name": "<img src=x onerror=alert(1)>", "dim": 2, "direction": "minimize",
             "bounds": {"lo": -5, "hi": 5}}' | jq -r .id)
    "$cli" loop "$run" --cmd "$tmp/measure.sh" -j 2 > /dev/null 2>&1 &
    loops="$loops $!" runs="$runs $run"
done
# a second daemon with API tokens
echo "dash-token-0123456789abcdef" > "$tmp/tokens"
"$build/flowoptd" --init --listen 127.0.0.1:0 --db "$tmp/tokens.db" --log-level warn \
    --tokens-file "$tmp/tokens" 2> "$tmp/tokens.log" &
tpid=$!
while ! grep -q "^listening on" "$tmp/tokens.log" 2>/dev/null; do sleep 0.05; done
turl=http://$(sed -n 's/^listening on //p' "$tmp/tokens.log")
curl -s -X POST "$turl/v1/runs" -H "Authorization: Bearer dash-token-0123456789abcdef" \
    -H 'Content-Type: application/json' -d '{"dim": 2, "direction": "minimize"}' > /dev/null
# a long run for the page's load time: 10,000 evaluations, the package's loop
big=$(PYTHONPATH="$src/clients/python" python3 -c '
import flowopt
r = flowopt.minimize(lambda x: (x[0] - 1) ** 2 + (x[1] + 2) ** 2, dim=2, bounds=[(-5, 5)] * 2,
                     budget=10000, workers=4, progress=False, name="long", batch_size=6,
                     optimizer={"restarts": 0, "surrogate": "off"})
print(r.run_id)')
for run in $runs; do curl -s -X POST "$FLOWOPT_URL/v1/runs/$run/checkpoints" > /dev/null; done
# a third daemon whose run is damaged while it is down (its snapshot lost)
"$build/flowoptd" --init --listen 127.0.0.1:0 --db "$tmp/damaged.db" --log-level warn \
    2> "$tmp/damaged1.log" &
dpid=$!
while ! grep -q "^listening on" "$tmp/damaged1.log" 2>/dev/null; do sleep 0.05; done
durl=http://$(sed -n 's/^listening on //p' "$tmp/damaged1.log")
wrecked=$(curl -s "$durl/v1/runs" --json '{"name": "wrecked", "dim": 2, "direction": "minimize"}' |
    jq -r .id)
curl -s "$durl/v1/runs" --json '{"name": "whole", "dim": 3, "direction": "minimize"}' > /dev/null
curl -s -X POST "$durl/v1/runs/$wrecked/checkpoints" > /dev/null
kill "$dpid"
wait "$dpid" 2> /dev/null
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE run_snapshots SET data = ? WHERE run_id = ?", (b"FO\0\0junk", sys.argv[2]))
db.commit()' "$tmp/damaged.db" "$wrecked"
"$build/flowoptd" --listen 127.0.0.1:0 --db "$tmp/damaged.db" --log-level warn \
    2> "$tmp/damaged2.log" &
dpid=$!
while ! grep -q "^listening on" "$tmp/damaged2.log" 2>/dev/null; do sleep 0.05; done
durl=http://$(sed -n 's/^listening on //p' "$tmp/damaged2.log")
sleep 1 # a few generations of history
mkdir -p "$src/build"
BIG=$big RUNS="${runs# }" DAMAGED_URL=$durl DAMAGED=$wrecked TOKEN_URL=$turl TOKEN=dash-token-0123456789abcdef TOOLS="$src/tools" \
    SHOTS="$src/build" node "$src/tests/browser/dashboard.mjs"
rc=$?
kill $loops "$tpid" "$dpid" 2> /dev/null
exit $rc
