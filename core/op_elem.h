/* op_elem.h: elementwise operators of drift's engine: SiLU, sums and
 * products of tensors, scaling, per-channel bias and gain (how a U-Net adds
 * its time embedding), and inverted dropout.
 *
 * Each operator allocates its output from the graph and, when gradients are
 * on and an input needs one, records its backward. Bad shapes set the
 * graph's status and return NULL (see graph.h). */
#ifndef DRIFT_OP_ELEM_H
#define DRIFT_OP_ELEM_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "rng.h"
#include "simd.h"

/* Vector-friendly helpers for operator loops: plain arithmetic and bit
 * selects, no branches or calls, so that fixed-length loops over them
 * vectorise at -O2 (libm's expf does not). */

/* take_b (0 or 1) ? b : a, as a bit select. */
static inline float drift_select_f(int take_b, float a, float b)
{
    union { float f; int32_t i; } ua = {a}, ub = {b}, r;
    int32_t m = -(int32_t)take_b;
    r.i = (ua.i & ~m) | (ub.i & m);
    return r.f;
}

/* e^x within about 4 ulp (2.5e-7 relative) over [-87, 88]; inputs outside
 * are clamped to that range and NaN stays NaN. Range reduction
 * x = k ln2 + r, |r| <= ln2/2 (ln2 split in two for exactness), e^r by its
 * degree-6 Taylor polynomial, 2^k from exponent bits. SiLU and softmax
 * use it. */
static inline float drift_fast_expf(float x)
{
    float c = drift_select_f(x < -87.0f, x, -87.0f);
    c = drift_select_f(c > 88.0f, c, 88.0f);
    c = drift_select_f(c != c, c, 0.0f); /* NaN: computed at 0, returned as NaN */
    float k = (c * 1.44269504f + 12582912.0f) - 12582912.0f; /* round(c / ln2) */
    float r = c - k * 0.693145751953125f - k * 1.428606765330187e-06f;
    float p = 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    union { int32_t i; float f; } scale = {((int32_t)k + 127) * (1 << 23)};
    return drift_select_f(x != x, p * scale.f, x);
}

/* sum a[i] * b[i] over [0, n), or sum a[i] if b is NULL, accumulated in
 * double over independent lanes (fixed order: the same on every thread). */
double drift_dot_double(const float *a, const float *b, size_t n);

/* x: any shape -> same shape, x * sigmoid(x) */
drift_tensor *drift_silu(drift_graph *g, drift_tensor *x);

/* a, b: same shape -> a + b */
drift_tensor *drift_add(drift_graph *g, drift_tensor *a, drift_tensor *b);

/* a, b: same shape -> a * b elementwise */
drift_tensor *drift_mul(drift_graph *g, drift_tensor *a, drift_tensor *b);

/* x: any shape -> s * x */
drift_tensor *drift_scale(drift_graph *g, drift_tensor *x, float s);

/* x: (N,C,...), v: (N,C) -> x + v broadcast over positions
 * (the time embedding added per channel) */
drift_tensor *drift_add_channel(drift_graph *g, drift_tensor *x, drift_tensor *v);

/* x: (N,C,...), v: (N,C) -> x * v broadcast over positions */
drift_tensor *drift_mul_channel(drift_graph *g, drift_tensor *x, drift_tensor *v);

/* x: any shape -> same shape. Inverted dropout: each element is kept with
 * probability 1-p and then divided by 1-p. Element i's decision comes from
 * Philox block rng->counter + i/4, word i%4, so the mask depends only on
 * the rng state; the rng advances by ceil(numel/4) blocks. p = 0, or
 * gradients disabled (inference), returns x itself. 0 <= p < 1. */
drift_tensor *drift_dropout(drift_graph *g, drift_tensor *x, float p, drift_rng *rng);

#endif
