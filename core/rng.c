/* rng.c: Philox4x32-10 with Box-Muller Gaussians (see rng.h). */
#include "rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void drift_philox_block(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t out[4])
{
    uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32);
    uint32_t c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

void drift_rng_init(drift_rng *r, uint64_t seed, uint64_t stream)
{
    r->seed = seed;
    r->stream = stream;
    r->counter = 0;
}

/* (0, 1): never 0, so log() is safe; 24 bits like a float mantissa. */
static inline double u32_to_open_unit(uint32_t w)
{
    return ((double)(w >> 8) + 0.5) * (1.0 / 16777216.0);
}

uint32_t drift_rng_u32(drift_rng *r)
{
    uint32_t b[4];
    drift_philox_block(r->seed, r->stream, r->counter++, b);
    return b[0];
}

double drift_rng_uniform(drift_rng *r)
{
    uint32_t b[4];
    drift_philox_block(r->seed, r->stream, r->counter++, b);
    return ((double)(((uint64_t)b[0] << 21) ^ b[1]) + 0.5) * (1.0 / 9007199254740992.0);
}

uint32_t drift_rng_below(drift_rng *r, uint32_t n)
{
    if (n <= 1)
        return 0;
    uint32_t limit = UINT32_MAX - UINT32_MAX % n;
    for (;;) {
        uint32_t w = drift_rng_u32(r);
        if (w < limit)
            return w % n;
    }
}

static void gaussian_block(const uint32_t b[4], float g[4])
{
    for (int k = 0; k < 4; k += 2) {
        double u1 = u32_to_open_unit(b[k]), u2 = u32_to_open_unit(b[k + 1]);
        double rad = sqrt(-2.0 * log(u1)), ang = 6.283185307179586 * u2;
        g[k] = (float)(rad * cos(ang));
        g[k + 1] = (float)(rad * sin(ang));
    }
}

void drift_rng_normal(drift_rng *r, float *out, size_t n)
{
    uint32_t b[4];
    float g[4];
    size_t blocks = (n + 3) / 4;
    for (size_t i = 0; i < blocks; i++) {
        drift_philox_block(r->seed, r->stream, r->counter + i, b);
        gaussian_block(b, g);
        for (size_t k = 0; k < 4 && 4 * i + k < n; k++)
            out[4 * i + k] = g[k];
    }
    r->counter += blocks;
}

void drift_rng_uniform_fill(drift_rng *r, float *out, size_t n)
{
    uint32_t b[4];
    size_t blocks = (n + 3) / 4;
    for (size_t i = 0; i < blocks; i++) {
        drift_philox_block(r->seed, r->stream, r->counter + i, b);
        for (size_t k = 0; k < 4 && 4 * i + k < n; k++)
            out[4 * i + k] = (float)u32_to_open_unit(b[k]);
    }
    r->counter += blocks;
}

void drift_rng_shuffle(drift_rng *r, uint32_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = drift_rng_below(r, (uint32_t)i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
