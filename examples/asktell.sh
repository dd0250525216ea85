#!/bin/sh
# asktell.sh - optimise a function computed by a local command, with curl.
#
#   FLOWOPT_URL=http://127.0.0.1:8080 sh examples/asktell.sh [generations]
#
# The objective is any command that reads one point (space-separated
# coordinates) on stdin and prints its value: here a shifted sphere in awk,
# standing in for a measurement script. Needs curl and jq. FLOWOPT_TOKEN,
# when set, is sent as the API token (flowoptd --tokens-file).
set -eu
URL=${FLOWOPT_URL:-http://127.0.0.1:8080}
AUTH="Authorization: Bearer ${FLOWOPT_TOKEN:-}" # an empty token is fine without auth
GENERATIONS=${1:-30}
BATCH=8

objective() {
    awk '{ s = 0; for (i = 1; i <= NF; i++) s += ($i - 1) ^ 2; printf "%.17g\n", s }'
}

run=$(curl -sf -X POST "$URL/v1/runs" -H 'Content-Type: application/json' -H "$AUTH" \
    -d "{\"name\": \"asktell example\", \"dim\": 3, \"bounds\": {\"lo\": -5, \"hi\": 5},
         \"direction\": \"minimize\", \"batch_size\": $BATCH}" | jq -r .id)
echo "run $run"

g=0
while [ "$g" -lt "$GENERATIONS" ]; do
    curl -sf -X POST "$URL/v1/runs/$run/ask" -H 'Content-Type: application/json' -H "$AUTH" \
        -d "{\"n\": $BATCH}" |
        jq -r '.samples[] | "\(.id) \(.x | map(tostring) | join(" "))"' |
        while read -r id x; do
            printf '{"id": "%s", "value": %s}\n' "$id" "$(echo "$x" | objective)"
        done |
        jq -s -c '{results: .}' |
        curl -sf -X POST "$URL/v1/runs/$run/tell" -H 'Content-Type: application/json' -H "$AUTH" \
            --data-binary @- > /dev/null
    g=$((g + 1))
done

curl -sf -H "$AUTH" "$URL/v1/runs/$run/best"
echo
