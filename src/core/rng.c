/*
 * rng.c - xoshiro256** with splitmix64 seeding (Blackman and Vigna,
 * "Scrambled linear pseudorandom number generators", 2018), implemented
 * from the published recurrences.
 */
#include <flowopt/rng.h>

#include <math.h>
#include "core/bytes.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

void fo_rng_seed(struct fo_rng *rng, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
    rng->spare = 0.0;
    rng->has_spare = 0;
}

uint64_t fo_rng_u64(struct fo_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double fo_rng_uniform(struct fo_rng *rng) {
    /* 53 random bits, shifted by half a step: values (k + 0.5) / 2^53. */
    return ((double)(fo_rng_u64(rng) >> 11) + 0.5) * 0x1.0p-53;
}

double fo_rng_normal(struct fo_rng *rng) {
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    double u1 = fo_rng_uniform(rng);
    double u2 = fo_rng_uniform(rng);
    double r = sqrt(-2.0 * log(u1));
    double t = 2.0 * M_PI * u2;
    rng->spare = r * sin(t);
    rng->has_spare = 1;
    return r * cos(t);
}

uint64_t fo_rng_below(struct fo_rng *rng, uint64_t n) {
    /* Rejection on the top of the range keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do {
        v = fo_rng_u64(rng);
    } while (v >= limit);
    return v % n;
}

void fo_rng_save(const struct fo_rng *rng, unsigned char out[FO_RNG_STATE_BYTES]) {
    for (int i = 0; i < 4; i++)
        fo__put_u64(out + 8 * i, rng->s[i]);
    fo__put_f64(out + 32, rng->spare);
    out[40] = (unsigned char)(rng->has_spare ? 1 : 0);
}

int fo_rng_load(struct fo_rng *rng, const unsigned char in[FO_RNG_STATE_BYTES]) {
    uint64_t s[4];
    for (int i = 0; i < 4; i++)
        s[i] = fo__get_u64(in + 8 * i);
    double spare = fo__get_f64(in + 32);
    /* The all-zero state is a fixed point of xoshiro; a spare must be finite. */
    if ((s[0] | s[1] | s[2] | s[3]) == 0 || in[40] > 1 || (in[40] && !isfinite(spare)))
        return -1;
    for (int i = 0; i < 4; i++)
        rng->s[i] = s[i];
    rng->spare = spare;
    rng->has_spare = in[40];
    return 0;
}
