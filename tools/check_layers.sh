#!/bin/sh
# Enforce the layering of STYLE_ANCHORS.md section 4.3:
#  1. each src/<module> includes only the modules it may depend on;
#  2. third-party headers stay in their modules (SQLite in store, MHD in
#     http, Jansson in http and client, libcurl in client);
#  3. libflowopt.a (core, nn, flow, opt) calls no I/O, exit or server library.
# Usage: check_layers.sh path/to/libflowopt.a
set -eu
lib=${1:-build/libflowopt.a}
fail=0

allowed() {
    case $1 in
    core) echo "core" ;;
    nn) echo "core nn" ;;
    flow) echo "core nn flow" ;;
    opt) echo "core nn flow opt" ;;
    util) echo "util" ;;
    store) echo "store util" ;;
    service) echo "service store util" ;;
    http) echo "http service util" ;;
    daemon) echo "daemon http service store util" ;;
    client) echo "client util" ;;
    *) echo "" ;;
    esac
}

# system headers each module may use beyond the C/POSIX ones
third_party_ok() {
    case "$1:$2" in
    store:sqlite3.h) return 0 ;;
    http:microhttpd.h | http:jansson.h) return 0 ;;
    client:curl/* | client:jansson.h) return 0 ;;
    service:pthread.h | store:pthread.h | http:pthread.h | daemon:pthread.h) return 0 ;;
    esac
    return 1
}

for dir in src/*/; do
    mod=$(basename "$dir")
    ok=$(allowed "$mod")
    for f in "$dir"*.c "$dir"*.h; do
        [ -e "$f" ] || continue
        # quoted includes: "module/file.h"
        for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
            dep=${inc%%/*}
            [ "$dep" = "$inc" ] && dep=$mod
            case " $ok " in
            *" $dep "*) ;;
            *) echo "layering: $f includes \"$inc\" ($mod may use: $ok)"; fail=1 ;;
            esac
        done
        # angle includes of libraries that belong to one layer
        for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' "$f"); do
            case $inc in
            sqlite3.h | microhttpd.h | jansson.h | curl/* | pthread.h)
                if ! third_party_ok "$mod" "$inc"; then
                    echo "layering: $f includes <$inc>, which $mod may not use"
                    fail=1
                fi ;;
            flowopt/*)
                case $mod in
                store | http) [ "$inc" = "flowopt/status.h" ] || {
                    echo "layering: $f includes <$inc>; $mod may use only flowopt/status.h"
                    fail=1; } ;;
                util) echo "layering: $f includes <$inc>; util is libc only"; fail=1 ;;
                esac ;;
            esac
        done
    done
done

if [ -f "$lib" ]; then
    bad=$(nm -u "$lib" | awk '{print $NF}' |
        grep -E '^(printf|fprintf|vfprintf|puts|fputs|putchar|fwrite|write|fopen|open|exit|_exit|abort|perror|sqlite3_.*|json_.*|MHD_.*|curl_.*|pthread_.*)$' |
        sort -u || true)
    if [ -n "$bad" ]; then
        echo "layering: libflowopt.a calls what the numeric core must not:" $bad
        fail=1
    fi
else
    echo "layering: $lib not found"; fail=1
fi
[ $fail -eq 0 ] && echo "layers OK"
exit $fail
