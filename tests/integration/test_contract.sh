#!/bin/sh
# test_contract.sh - every response of the daemon and run-route scenarios
# (test_daemon, test_runs, test_fuzz, test_auth)
# checked against openapi.yaml by a JSON Schema 2020-12 validator (ajv,
# pinned in tools/package.json, run by node). TAP on stdout.
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
for t in test_daemon test_runs test_fuzz test_auth; do
    FLOWOPT_RECORD="$tmp/responses.jsonl" "$build/tests/integration/$t" > "$tmp/$t.tap" 2>&1 || {
        echo "Bail out! the recorded scenario $t failed:"
        grep -v '^ok' "$tmp/$t.tap" | head -5 | sed 's/^/# /'
        exit 1
    }
done
node "$src/tools/check_responses.mjs" "$src/openapi.yaml" "$tmp/responses.jsonl"
