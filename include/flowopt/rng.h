/*
 * rng.h - a seedable pseudo-random generator whose state is plain data.
 *
 * xoshiro256** (Blackman and Vigna 2018) seeded through splitmix64, with
 * uniform and standard-normal draws. The whole state is the struct, so it
 * can be copied, checkpointed and restored: the same seed (or state) gives
 * bit-identical draws on the same build. No global state.
 */
#ifndef FLOWOPT_RNG_H
#define FLOWOPT_RNG_H

#include <stddef.h>
#include <stdint.h>

struct fo_rng {
    uint64_t s[4];
    double spare;  /* second normal of the last Box-Muller pair */
    int has_spare; /* 1 when spare is valid */
};

#define FO_RNG_STATE_BYTES 41 /* 4 * 8 state words, 8 spare, 1 flag */

/* Seed from one 64-bit value (any value, 0 included). */
void fo_rng_seed(struct fo_rng *rng, uint64_t seed);
uint64_t fo_rng_u64(struct fo_rng *rng);
/* Uniform on the open interval (0, 1); never 0 or 1. */
double fo_rng_uniform(struct fo_rng *rng);
/* Standard normal (Box-Muller on two uniforms, the pair's second kept). */
double fo_rng_normal(struct fo_rng *rng);
/* Uniform integer in [0, n), n >= 1, without modulo bias. */
uint64_t fo_rng_below(struct fo_rng *rng, uint64_t n);

/* State to FO_RNG_STATE_BYTES little-endian bytes and back. */
void fo_rng_save(const struct fo_rng *rng, unsigned char out[FO_RNG_STATE_BYTES]);
/* Returns 0, or -1 (rng unchanged) when the bytes are not a valid state. */
int fo_rng_load(struct fo_rng *rng, const unsigned char in[FO_RNG_STATE_BYTES]);

#endif
