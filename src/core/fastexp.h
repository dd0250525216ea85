/*
 * fastexp.h - exp(x) for x <= 0, written so GCC vectorises loops over it
 * (libm's exp is a call, which stops the vectorizer). A softmax spends
 * most of its time here.
 *
 * x = k ln2 + r with |r| <= ln2 / 2 (Cody-Waite, ln2 split in two), exp(r)
 * by its Taylor series to degree 13 (truncation below 1e-17 relative), and
 * 2^k put straight into the exponent bits. Measured: within 1 ulp of glibc
 * on [-708, 0]; exp(0) is exactly 1. Below -708 the result is exp(-708)
 * (about 3e-308) rather than a subnormal or 0: the clamp keeps 2^k a
 * normal number, and a softmax cannot tell the difference.
 */
#ifndef FLOWOPT_CORE_FASTEXP_H
#define FLOWOPT_CORE_FASTEXP_H

#include <stdint.h>
#include <string.h>

static inline double fo__exp_nonpos(double x) {
    const double shift = 0x1.8p52, log2e = 0x1.71547652b82fep0;
    const double ln2_hi = 0x1.62e42fefa3800p-1, ln2_lo = 0x1.ef35793c76730p-45;
    const double floor_x = -708.0;
    /* clamp as a bit blend: a comparison-and-branch would stop the
     * vectorizer (IEEE min/max semantics forbid it a plain vmaxpd) */
    uint64_t xb, fb, below = -(uint64_t)(x < floor_x);
    memcpy(&xb, &x, sizeof xb);
    memcpy(&fb, &floor_x, sizeof fb);
    xb = (xb & ~below) | (fb & below);
    memcpy(&x, &xb, sizeof x);
    /* k = round(x / ln2), read back from the low mantissa bits of t */
    double t = x * log2e + shift;
    uint64_t kbits;
    memcpy(&kbits, &t, sizeof kbits);
    double k = t - shift;
    double r = (x - k * ln2_hi) - k * ln2_lo;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    /* 2^k: the shift keeps k's low bits, the bias makes them an exponent */
    uint64_t sbits = (kbits << 52) + ((uint64_t)1023 << 52);
    double scale;
    memcpy(&scale, &sbits, sizeof scale);
    return p * scale;
}

#endif
