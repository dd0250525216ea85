#!/bin/sh
# Lint the OpenAPI contract with @redocly/cli, pinned in tools/package.json
# and installed from the npm registry into tools/node_modules on first use.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$here/node_modules/.bin/redocly" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
"$here/node_modules/.bin/redocly" lint --config "$here/redocly.yaml" "$@"
