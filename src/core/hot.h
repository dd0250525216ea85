/*
 * hot.h - FO_HOT marks the few kernels that dominate a flow's run time:
 * GCC compiles them twice, for AVX2 and for the baseline, and picks one at
 * load time. Results are the same bit for bit on both as long as the code
 * fixes its summation order: ISO C mode (-std=c11) keeps GCC from
 * contracting a*b+c into a fused multiply-add.
 */
#ifndef FLOWOPT_CORE_HOT_H
#define FLOWOPT_CORE_HOT_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                   \
    !defined(FO_NO_CLONES)
#define FO_HOT __attribute__((target_clones("avx2", "default")))
#else
#define FO_HOT
#endif

#endif
