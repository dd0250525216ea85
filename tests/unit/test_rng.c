/* test_rng.c - determinism, state round trip and moments of the PRNG. */
#include <flowopt/rng.h>
#include "tap.h"
#include "core/bytes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    struct fo_rng a, b;
    fo_rng_seed(&a, 42);
    fo_rng_seed(&b, 42);
    int same = 1;
    for (int i = 0; i < 1000; i++)
        same &= fo_rng_u64(&a) == fo_rng_u64(&b);
    tap_ok(same, "the same seed gives the same 1000 draws");
    fo_rng_seed(&b, 43);
    tap_ok(fo_rng_u64(&a) != fo_rng_u64(&b), "another seed gives other draws");

    /* Save mid-stream with a spare normal pending; the copy must continue identically. */
    fo_rng_seed(&a, 7);
    (void)fo_rng_normal(&a);
    unsigned char state[FO_RNG_STATE_BYTES];
    fo_rng_save(&a, state);
    struct fo_rng c;
    memset(&c, 0, sizeof c);
    tap_is_int(fo_rng_load(&c, state), 0, "a saved state loads");
    same = 1;
    for (int i = 0; i < 1000; i++) {
        double x = fo_rng_normal(&a), y = fo_rng_normal(&c);
        same &= memcmp(&x, &y, sizeof x) == 0;
    }
    tap_ok(same, "a restored generator continues bit-identically");
    memset(state, 0, sizeof state);
    tap_is_int(fo_rng_load(&c, state), -1, "the all-zero state is refused");

    fo_rng_seed(&a, 1);
    double sum = 0, sq = 0, umin = 1, umax = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double z = fo_rng_normal(&a);
        sum += z;
        sq += z * z;
        double u = fo_rng_uniform(&a);
        umin = u < umin ? u : umin;
        umax = u > umax ? u : umax;
    }
    double mean = sum / n, var = sq / n - mean * mean;
    /* 5 standard errors: sd(mean) = 1/sqrt(n), sd(var) ~ sqrt(2/n). */
    tap_is_near(mean, 0.0, 5.0 / sqrt(n), "normal mean is 0");
    tap_is_near(var, 1.0, 5.0 * sqrt(2.0 / n), "normal variance is 1");
    tap_ok(umin > 0.0 && umax < 1.0, "uniform draws lie in the open interval");

    int in_range = 1, counts[3] = {0, 0, 0};
    for (int i = 0; i < 30000; i++) {
        uint64_t v = fo_rng_below(&a, 3);
        in_range &= v < 3;
        if (v < 3)
            counts[v]++;
    }
    tap_ok(in_range, "below(3) stays below 3");
    tap_ok(abs(counts[0] - 10000) < 500 && abs(counts[1] - 10000) < 500 &&
               abs(counts[2] - 10000) < 500,
           "below(3) is uniform (%d %d %d)", counts[0], counts[1], counts[2]);
    /* CRC-32 check value of the standard: "123456789" -> 0xcbf43926 */
    tap_is_int(fo__crc32((const unsigned char *)"123456789", 9), 0xcbf43926u,
               "CRC-32 of \"123456789\" is the standard check value");
    return tap_done();
}
