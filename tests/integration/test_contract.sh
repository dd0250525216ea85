#!/bin/sh
# test_contract.sh - every response of the daemon and run-route scenarios
# (test_daemon, test_runs, test_fuzz, test_auth, as they recorded them)
# checked against openapi.yaml by a JSON Schema 2020-12 validator (ajv,
# pinned in tools/package.json, run by node), and the daemon's table of run
# settings against the schemas of the create and PATCH bodies. TAP on stdout.
set -u
build=${FLOWOPT_BUILD_DIR:-build/asan}
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowopt-test-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ ! -d "$src/tools/node_modules/ajv" ]; then
    (cd "$src/tools" && npm ci --no-audit --no-fund --loglevel=error > "$tmp/npm.log" 2>&1) || {
        echo "Bail out! npm ci in tools/ failed (see the npm registry)"
        exit 1
    }
fi
# make test has the programs record into FLOWOPT_RECORD_DIR as they run;
# alone, this runs them itself.
: > "$tmp/responses.jsonl"
for t in test_daemon test_runs test_fuzz test_auth; do
    rec="${FLOWOPT_RECORD_DIR:-}/$t.jsonl"
    if [ -n "${FLOWOPT_RECORD_DIR:-}" ] && [ -s "$rec" ]; then
        cat "$rec" >> "$tmp/responses.jsonl"
        continue
    fi
    FLOWOPT_RECORD="$tmp/responses.jsonl" "$build/tests/integration/$t" > "$tmp/$t.tap" 2>&1 || {
        echo "Bail out! the recorded scenario $t failed:"
        grep -v '^ok' "$tmp/$t.tap" | head -5 | sed 's/^/# /'
        exit 1
    }
done
node "$src/tools/check_responses.mjs" "$src/openapi.yaml" "$tmp/responses.jsonl" > "$tmp/a.tap"
rc=$?
# the daemon's settings table (GET /v1/settings, recorded by test_daemon)
node "$src/tools/check_settings.mjs" "$src/openapi.yaml" "$tmp/responses.jsonl" > "$tmp/b.tap"
rc2=$?
cat "$tmp/a.tap" "$tmp/b.tap" | grep -v '^1\.\.' |
    awk '/^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n) } { print } END { print "1.." n }'
[ $rc -eq 0 ] && [ $rc2 -eq 0 ]
