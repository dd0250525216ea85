#!/bin/sh
# test_notify.sh - systemd's notifications, against a stand-in manager
# (tests/python/fake_systemd.py): READY=1, watchdog pings with a status,
# none from a stopped daemon, STOPPING=1 at SIGTERM; and the unit file
# parses (systemd-analyze verify, where systemd is installed). TAP.
set -u
build=${FLOWOPT_BUILD_DIR:-build/asan}
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowopt-test-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 "$src/tests/python/fake_systemd.py" "$build/flowoptd" "$tmp/notify.db" > "$tmp/tap"
rc=$?
grep -v '^1\.\.' "$tmp/tap"
n=$(grep -c '^\(not \)\?ok' "$tmp/tap")
if command -v systemd-analyze > /dev/null 2>&1; then
    sed "s|@BINDIR@|$(cd "$build" && pwd)|g" "$src/deploy/flowoptd.service.in" > "$tmp/flowoptd.service"
    out=$(systemd-analyze verify "$tmp/flowoptd.service" 2>&1)
    v=$?
    n=$((n + 1))
    if [ $v = 0 ] && ! echo "$out" | grep -q "flowoptd.service"; then
        echo "ok $n - systemd-analyze verify accepts deploy/flowoptd.service.in"
    else
        echo "not ok $n - systemd-analyze verify: $out" | head -3
        rc=1
    fi
    score=$(systemd-analyze security --offline=yes "$tmp/flowoptd.service" 2> /dev/null |
        sed -n 's/.*Overall exposure level for flowoptd.service: \([0-9.]*\).*/\1/p')
    n=$((n + 1))
    if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s < 2.0) }'; then
        echo "ok $n - its systemd-analyze security exposure is $score (< 2.0)"
    else
        echo "not ok $n - exposure ${score:-unknown}, not below 2.0"
        rc=1
    fi
else
    n=$((n + 1))
    echo "ok $n # skip systemd-analyze is not installed"
fi
echo "1..$n"
exit $rc
