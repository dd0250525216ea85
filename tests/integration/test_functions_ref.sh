#!/bin/sh
# test_functions_ref.sh - the values tests/unit/test_functions.c pins for
# seed_trig and tfim_vqe against an independent computation
# (tests/reference/functions_ref.py: the definitions of
# shared/bench/FUNCTIONS.md, dense matrices, the Python standard library),
# so a pin cannot drift with the C code it checks. TAP on stdout.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
spec="$src/../shared/bench/FUNCTIONS.md"
if [ ! -f "$spec" ]; then
    echo "1..0 # SKIP no ../shared/bench/FUNCTIONS.md beside the checkout"
    exit 0
fi
ref=$(python3 "$src/tests/reference/functions_ref.py" "$spec") || {
    echo "Bail out! the reference computation failed"
    exit 1
}
pinned() { # the number test_functions.c compares fo_fn_NAME(ARG ...) with
    grep -A1 "fo_fn_$1($2" "$src/tests/unit/test_functions.c" |
        tr -d '\n' | sed -n 's/.*, \(-\{0,1\}[0-9][0-9.e-]*\), [0-9.e-]*,.*/\1/p'
}
n=0
failed=0
check() { # NAME REFERENCE PINNED TOLERANCE TEXT
    n=$((n + 1))
    if awk -v a="$2" -v b="$3" -v t="$4" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b != "" && d <= t) }'; then
        echo "ok $n - $5 (reference $2, pinned $3)"
    else
        echo "not ok $n - $5 (reference $2, pinned ${3:-none})"
        failed=$((failed + 1))
    fi
}
val() { echo "$ref" | sed -n "s/^$1 //p"; }
check seed_trig "$(val seed_trig)" "$(pinned seed_trig x)" 1e-15 \
    "seed_trig at x_i = 0.3 i - 1.2"
check tfim_vqe "$(val tfim_vqe)" "$(pinned tfim_vqe th)" 1e-13 \
    "tfim_vqe at theta_i = 0.1 (i + 1) - 0.7"
check tfim_zero "$(val tfim_vqe_zero)" "$(pinned tfim_vqe zeros)" 1e-14 "tfim_vqe(0)"
ground=$(grep -o '^-4\.[0-9]*\. The best value' "$spec" | cut -d' ' -f1 | sed 's/\.$//')
check ground "$(val tfim_ground)" "$ground" 1e-12 \
    "FUNCTIONS.md's exact ground energy of H, by power iteration"
echo "1..$n"
[ $failed -eq 0 ]
