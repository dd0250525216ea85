#!/bin/sh
# Enforce the layering of STYLE_ANCHORS.md section 4.3:
#  1. each src/<module> includes only the modules it may depend on;
#  2. third-party headers stay in their modules (SQLite in store, MHD in
#     http, Jansson in http and client, libcurl in client);
#  3. libflowopt.a (core, nn, flow, opt) calls no I/O, exit or server library.
#  4. each module's objects call only functions of the modules it may use
#     (nm -u against nm --defined-only): includes can hide nothing.
# Usage: check_layers.sh path/to/libflowopt.a [object directory]
set -eu
lib=${1:-build/libflowopt.a}
objdir=${2:-build/obj}
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
    push) echo "push service util" ;;
    daemon) echo "daemon http push service store util" ;;
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
    push:curl/* | push:jansson.h | push:pthread.h) return 0 ;;
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
                # status codes, and history.h's column list (macros, no code)
                store | http) [ "$inc" = "flowopt/status.h" ] || [ "$inc" = "flowopt/history.h" ] || {
                    echo "layering: $f includes <$inc>; $mod may use only flowopt/status.h and flowopt/history.h"
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
# Calls. Who may call whom (the include table, plus: anyone may call
# core/status.c, the error vocabulary of flowopt/status.h; the service calls
# the engine's public API (opt and core, fo_ not fo__), never through it
# into the flow; the CLI reads the settings table (fo_settings,
# fo_setting_find) to type and list what `set` takes).
callable() {
    case $1 in
    service) echo "service store util lib" ;;
    *) allowed "$1" ;;
    esac
}
modules="core nn flow opt util store service http push daemon client"
defs=$(mktemp)
trap 'rm -f "$defs"' EXIT
for m in $modules; do
    ls "$objdir/src/$m/"*.o > /dev/null 2>&1 || { echo "layering: no objects in $objdir/src/$m"; fail=1; continue; }
    nm --defined-only "$objdir/src/$m/"*.o | awk -v m="$m" '$2 ~ /^[TDRB]$/ && $3 ~ /^fo_/ { print $3, m }'
done | sort -u > "$defs"
status_syms=$(nm --defined-only "$objdir/src/core/status.o" | awk '$2 == "T" { print $3 }' | tr '\n' ' ')
for m in $modules; do
    ls "$objdir/src/$m/"*.o > /dev/null 2>&1 || continue
    ok=" $(callable "$m") "
    for pair in $(nm -u "$objdir/src/$m/"*.o | awk '$NF ~ /^fo_/ { print $NF }' | sort -u |
                  join - "$defs" | tr ' ' ':'); do
        sym=${pair%%:*}
        dep=${pair#*:}
        case " $status_syms " in *" $sym "*) continue ;; esac
        [ "$m:$sym" = client:fo_settings ] || [ "$m:$sym" = client:fo_setting_find ] && continue
        case "$dep" in core | opt) lib=1 ;; *) lib=0 ;; esac
        case $ok in
        *" $dep "*) continue ;;
        *" lib "*) [ $lib = 1 ] && case $sym in fo__*) ;; *) continue ;; esac ;;
        esac
        echo "layering: $m calls $sym of $dep ($m may call: $(callable "$m"))"
        fail=1
    done
done

[ $fail -eq 0 ] && echo "layers OK"
exit $fail
