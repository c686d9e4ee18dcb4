/* rng.h: drift's one random number generator.
 *
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC 2011): a counter-based generator. Block i of a stream is a
 * pure function of (seed, stream, i), so a fill of n values can be split
 * across any number of threads and still give the same numbers: the same
 * model, seed and settings always give the same output. */
#ifndef DRIFT_RNG_H
#define DRIFT_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct drift_rng {
    uint64_t seed;    /* the key */
    uint64_t stream;  /* independent sequences under one seed */
    uint64_t counter; /* next block; each block is four 32-bit words */
} drift_rng;

void drift_rng_init(drift_rng *r, uint64_t seed, uint64_t stream);

/* The four words of block `counter` of (seed, stream); no state change. */
void drift_philox_block(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t out[4]);
/* Blocks counter .. counter + n - 1 into out[0 .. 4n), vectorised. */
void drift_philox_blocks(uint64_t seed, uint64_t stream, uint64_t counter, size_t n, uint32_t *out);

uint32_t drift_rng_u32(drift_rng *r);          /* uses one block */
double drift_rng_uniform(drift_rng *r);        /* in (0, 1), uses one block */
uint32_t drift_rng_below(drift_rng *r, uint32_t n); /* uniform in [0, n), unbiased */

/* Fill out[0..n) with N(0,1) / U(0,1) floats. Element j comes from block
 * counter + j/4, so fills are reproducible and thread-count independent.
 * Advances the counter by ceil(n/4). */
void drift_rng_normal(drift_rng *r, float *out, size_t n);
void drift_rng_uniform_fill(drift_rng *r, float *out, size_t n);

/* Fisher-Yates shuffle of idx[0..n). */
void drift_rng_shuffle(drift_rng *r, uint32_t *idx, size_t n);

#endif
