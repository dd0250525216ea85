# daemon.sh - shared by the shell tests (sourced, not run): a temporary
# directory, TAP helpers, and the real flowoptd on a free loopback port.
#
#   . "$(dirname "$0")/../daemon.sh"; start_daemon NAME [FLOWOPTD ARGS...]
#
# sets build, src, tmp, pid, port, FLOWOPT_URL and log (its stderr,
# $tmp/NAME.log: daemons running side by side each have their own);
# ok STATUS TEXT prints a TAP line;
# finish prints the plan and returns the verdict.
build=${FLOWOPT_BUILD_DIR:-build/asan}
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowopt-test-XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
n=0
failed=0

ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

finish() {
    echo "1..$n"
    [ "$failed" -eq 0 ]
}

start_daemon() {
    name=$1
    shift
    log="$tmp/$name.log"
    "$build/flowoptd" --init --listen 127.0.0.1:0 --db "$tmp/$name.db" --log-level warn "$@" \
        2> "$log" &
    pid=$!
    port=""
    i=0
    while [ -z "$port" ] && [ $i -lt 200 ]; do
        port=$(sed -n '1s/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$log" 2>/dev/null)
        [ -n "$port" ] || sleep 0.05
        i=$((i + 1))
    done
    if [ -z "$port" ]; then
        echo "Bail out! flowoptd did not start"
        exit 1
    fi
    export FLOWOPT_URL="http://127.0.0.1:$port"
}
