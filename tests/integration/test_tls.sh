#!/bin/sh
# test_tls.sh - flowoptd serving HTTPS itself (--tls-cert, --tls-key, GnuTLS
# through libmicrohttpd) with a certificate made here by openssl: health, a
# create and an ask over TLS, keep-alive unchanged (the second request of a
# client reuses its connection), plain HTTP on the TLS port gets no answer,
# and a half-given or unreadable key is refused at start. TAP on stdout.
set -u
. "$(dirname "$0")/../daemon.sh"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2> /dev/null
ok $? "openssl makes a certificate for 127.0.0.1"
start_daemon tls --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
https=$(echo "$FLOWOPT_URL" | sed 's|^http:|https:|')
tls() { curl -s --cacert "$tmp/cert.pem" "$@"; }
[ "$(tls "$https/v1/health" | jq -r .status)" = ok ]
ok $? "health over HTTPS, the certificate verified"
run=$(tls "$https/v1/runs" --json '{"dim": 2, "direction": "minimize"}' | jq -r .id)
asked=$(tls "$https/v1/runs/$run/ask" --json '{"n": 3}' | jq '.samples | length')
[ "$asked" = 3 ]
ok $? "a create and an ask over HTTPS"
tls -o /dev/null -o /dev/null -w '%{num_connects} ' "$https/v1/health" "$https/v1/runs" \
    > "$tmp/connects"
[ "$(cat "$tmp/connects")" = "1 0 " ]
ok $? "keep-alive: the second request reuses the TLS connection ($(cat "$tmp/connects"))"
code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$FLOWOPT_URL/v1/health")
[ "$code" = 000 ]
ok $? "plain HTTP on the TLS port gets no HTTP answer ($code)"
curl -s -o /dev/null -m 5 "$https/v1/health"
[ $? -ne 0 ]
ok $? "nor does a client that does not trust the certificate"
"$build/flowopt" --url "$https" --cacert "$tmp/cert.pem" health | grep -q '"status":"ok"' &&
    ! "$build/flowopt" --url "$https" health > /dev/null 2>&1
ok $? "the flowopt client checks the daemon against --cacert (and refuses without it)"
SSL_CERT_FILE="$tmp/cert.pem" PYTHONPATH="$src/clients/python" python3 -c \
    "import flowopt, sys; sys.exit(flowopt.Client('$https').health()['status'] != 'ok')"
ok $? "so does the Python client, with SSL_CERT_FILE"
"$build/flowoptd" --init --listen 127.0.0.1:0 --db "$tmp/x.db" --tls-cert "$tmp/cert.pem" \
    2> "$tmp/half.log"
rc=$?
[ $rc -ne 0 ] && grep -q "both --tls-cert and --tls-key" "$tmp/half.log"
ok $? "a certificate without its key is refused ($rc: $(head -c 80 "$tmp/half.log"))"
echo "not a key" > "$tmp/bad.pem"
"$build/flowoptd" --init --listen 127.0.0.1:0 --db "$tmp/y.db" --tls-cert "$tmp/cert.pem" \
    --tls-key "$tmp/bad.pem" 2> "$tmp/bad.log"
rc=$?
[ $rc -ne 0 ] && grep -q "tls-key\|PEM" "$tmp/bad.log"
ok $? "so is a key that is no PEM ($rc: $(head -c 80 "$tmp/bad.log"))"
finish
