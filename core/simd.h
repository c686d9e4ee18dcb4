/* simd.h: DRIFT_SIMD_CLONES marks a loop kernel to be compiled for AVX-512
 * and AVX2 as well as the portable baseline; the loader picks the widest
 * the CPU has. (Clang resolves the clones only within one file: keep such
 * kernels static.) A header of its own so that low layers (rng.c) can use
 * it without the operators' headers. */
#ifndef DRIFT_SIMD_H
#define DRIFT_SIMD_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__APPLE__)
#define DRIFT_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DRIFT_SIMD_CLONES
#endif

#endif
