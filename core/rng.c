/* rng.c: Philox4x32-10 with Box-Muller Gaussians (see rng.h). */
#include "rng.h"
#include "threads.h"
#include "simd.h"

#include <math.h>
#include <stdbool.h>

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

/* The same rounds on PHILOX_LANES counters side by side, written so the
 * compiler turns each lane loop into vector multiplies (32 x 32 -> 64 bit)
 * and xors: same words as drift_philox_block, several times faster. */
#define PHILOX_LANES 16

static DRIFT_SIMD_CLONES void philox_lanes(uint64_t seed, uint64_t stream, uint64_t counter, size_t n, uint32_t *out)
{
    size_t i = 0;
    for (; i + PHILOX_LANES <= n; i += PHILOX_LANES) {
        uint32_t c0[PHILOX_LANES], c1[PHILOX_LANES], c2[PHILOX_LANES], c3[PHILOX_LANES];
        for (int l = 0; l < PHILOX_LANES; l++) {
            uint64_t ctr = counter + i + (uint64_t)l;
            c0[l] = (uint32_t)ctr;
            c1[l] = (uint32_t)(ctr >> 32);
            c2[l] = (uint32_t)stream;
            c3[l] = (uint32_t)(stream >> 32);
        }
        uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
        for (int round = 0; round < 10; round++) {
            for (int l = 0; l < PHILOX_LANES; l++) {
                uint64_t p0 = (uint64_t)PHILOX_M0 * c0[l];
                uint64_t p1 = (uint64_t)PHILOX_M1 * c2[l];
                uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[l] ^ k0;
                uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3[l] ^ k1;
                c0[l] = n0;
                c1[l] = (uint32_t)p1;
                c2[l] = n2;
                c3[l] = (uint32_t)p0;
            }
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        for (int l = 0; l < PHILOX_LANES; l++) {
            uint32_t *o = out + 4 * (i + (size_t)l);
            o[0] = c0[l], o[1] = c1[l], o[2] = c2[l], o[3] = c3[l];
        }
    }
    for (; i < n; i++)
        drift_philox_block(seed, stream, counter + i, out + 4 * i);
}

/* Clang resolves target_clones only within a file: callers elsewhere go
 * through this plain function. */
void drift_philox_blocks(uint64_t seed, uint64_t stream, uint64_t counter, size_t n, uint32_t *out)
{
    philox_lanes(seed, stream, counter, n, out);
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

/* Blocks are made PHILOX_CHUNK at a time into a buffer on the stack. */
#define PHILOX_CHUNK 64

/* Blocks [lo, hi) of a fill of n values into out: N(0,1) or U(0,1). */
typedef struct {
    const drift_rng *r;
    float *out;
    size_t n;
    bool gaussian;
} fill_job;

static void fill_range(void *ctx, size_t lo, size_t hi)
{
    const fill_job *j = ctx;
    uint32_t b[4 * PHILOX_CHUNK];
    for (size_t i0 = lo; i0 < hi; i0 += PHILOX_CHUNK) {
        size_t m = hi - i0 < PHILOX_CHUNK ? hi - i0 : PHILOX_CHUNK;
        drift_philox_blocks(j->r->seed, j->r->stream, j->r->counter + i0, m, b);
        for (size_t i = i0; i < i0 + m; i++) {
            const uint32_t *w = b + 4 * (i - i0);
            float v[4];
            if (j->gaussian)
                gaussian_block(w, v);
            else
                for (int k = 0; k < 4; k++)
                    v[k] = (float)u32_to_open_unit(w[k]);
            for (size_t k = 0; k < 4 && 4 * i + k < j->n; k++)
                j->out[4 * i + k] = v[k];
        }
    }
}

/* Split over the threads: block i is the same whoever computes it. */
static void fill(drift_rng *r, float *out, size_t n, bool gaussian)
{
    size_t blocks = (n + 3) / 4;
    fill_job j = {r, out, n, gaussian};
    drift_parallel_for(blocks, 4096, fill_range, &j);
    r->counter += blocks;
}

void drift_rng_normal(drift_rng *r, float *out, size_t n) { fill(r, out, n, true); }
void drift_rng_uniform_fill(drift_rng *r, float *out, size_t n) { fill(r, out, n, false); }

void drift_rng_shuffle(drift_rng *r, uint32_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = drift_rng_below(r, (uint32_t)i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
