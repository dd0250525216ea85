#!/bin/sh
# test_shards.sh - two flowoptd (--shard 0 and 1, a database each) behind a
# real nginx routing by run id (deploy/nginx-flowopt-shards.conf.example,
# ports filled in): creates spread over both, every later request reaches
# the run's own daemon, flowopt loop works through the proxy, and one
# shard down leaves the other's runs served. TAP; skipped without nginx.
set -u
. "$(dirname "$0")/../daemon.sh"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$nginx" ]; then
    echo "1..0 # skip nginx is not installed"
    exit 0
fi
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start_daemon s0 --shard 0
pid0=$pid
url0=$FLOWOPT_URL
port0=$port
start_daemon s1 --shard 1
pid1=$pid
url1=$FLOWOPT_URL
port1=$port
pid=""
trap 'kill $pid0 $pid1 2> /dev/null; [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")"; rm -rf "$tmp"' EXIT
pn=$(free_port)
mkdir -p "$tmp/nginx/logs"
{
    echo "worker_processes 1; pid $tmp/nginx.pid; error_log $tmp/nginx/error.log;"
    [ "$(id -u)" = 0 ] && echo "user root;"
    echo "events {} http { access_log off;"
    echo "client_body_temp_path $tmp/nginx/body; proxy_temp_path $tmp/nginx/proxy;"
    echo "fastcgi_temp_path $tmp/nginx/f; uwsgi_temp_path $tmp/nginx/u; scgi_temp_path $tmp/nginx/s;"
    sed -e "s/127.0.0.1:8081/127.0.0.1:$port0/" -e "s/127.0.0.1:8082/127.0.0.1:$port1/" \
        -e "s/listen 8080;/listen 127.0.0.1:$pn;/" -e 's/#.*//' \
        "$src/deploy/nginx-flowopt-shards.conf.example"
    echo "}"
} > "$tmp/nginx.conf"
"$nginx" -p "$tmp/nginx" -c "$tmp/nginx.conf" 2> "$tmp/nginx.err"
ok $? "nginx starts with the example's routing ($(head -c 120 "$tmp/nginx.err"))"
px="http://127.0.0.1:$pn"
for i in $(seq 30); do curl -s -o /dev/null "$px/v1/health" && break; sleep 0.1; done
: > "$tmp/runs"
for i in 1 2 3 4 5 6; do
    curl -s "$px/v1/runs" --json '{"dim": 2, "direction": "minimize", "bounds": {"lo": -3, "hi": 3}}' |
        jq -r .id >> "$tmp/runs"
done
on0=$(grep -c '^00' "$tmp/runs")
on1=$(grep -c '^01' "$tmp/runs")
[ "$on0" -ge 1 ] && [ "$on1" -ge 1 ] && [ $((on0 + on1)) = 6 ]
ok $? "six creates through nginx land on both shards ($on0 and $on1), ids naming them"
good=0
for run in $(cat "$tmp/runs"); do
    case $run in 00*) own=$url0 other=$url1 ;; *) own=$url1 other=$url0 ;; esac
    ids=$(curl -s "$px/v1/runs/$run/ask" --json '{"n": 2}' | jq -r '.samples[].id' | tr '\n' ' ')
    set -- $ids
    told=$(curl -s "$px/v1/runs/$run/tell" \
        --json "{\"results\": [{\"id\": \"$1\", \"value\": 1}, {\"id\": \"$2\", \"value\": 2}]}" |
        jq .accepted)
    direct=$(curl -s "$own/v1/runs/$run" | jq .counters.told)
    absent=$(curl -s -o /dev/null -w '%{http_code}' "$other/v1/runs/$run")
    [ "$told" = 2 ] && [ "$direct" = 2 ] && [ "$absent" = 404 ] && good=$((good + 1))
done
[ $good = 6 ]
ok $? "every ask and tell reaches the run's own daemon, the other has no such run ($good of 6)"
first=$(head -n 1 "$tmp/runs")
printf 'echo "$1 $2" | awk "{ print \\$1 * \\$1 + \\$2 * \\$2 }"\n' > "$tmp/sphere.sh"
chmod +x "$tmp/sphere.sh"
"$build/flowopt" --url "$px" loop "$first" --cmd "$tmp/sphere.sh" -j 2 --budget 60 2> /dev/null
ok $? "flowopt loop runs through the proxy"
kill "$pid1"
wait "$pid1" 2> /dev/null
run0=$(grep '^00' "$tmp/runs" | head -n 1)
run1=$(grep '^01' "$tmp/runs" | head -n 1)
c0=$(curl -s -o /dev/null -w '%{http_code}' "$px/v1/runs/$run0")
c1=$(curl -s -o /dev/null -w '%{http_code}' "$px/v1/runs/$run1")
[ "$c0" = 200 ] && [ "$c1" = 502 ]
ok $? "with shard 1 down, shard 0's runs are served ($c0) and shard 1's are 502 ($c1)"
finish
