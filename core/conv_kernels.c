/* conv_kernels.c: direct "same" convolution kernels (see conv_kernels.h).
 *
 * Forward tile: CO_BLK output channels x up to NV_MAX vectors of 16
 * positions of one sample, accumulated in registers over every tap and
 * input channel (taps outer, so each tap's edge masks load once), then
 * stored once. A span of SPAN_GROUPS consecutive tiles copies its input
 * (with a halo of a row each side) once into a compact buffer that every
 * channel block of those tiles reads. Weights are packed as
 * [cob][tap][cin][CO_BLK] so the broadcasts walk memory in order (by the
 * caller, which may keep them). The input gradient of a "same"
 * convolution is this forward with the flipped, transposed kernel.
 *
 * Weight-gradient tile: a few output channels x every tap of one input
 * channel (3 x 9 taps or 8 x 3 taps: 24-27 registers), summed over the
 * positions of a chunk of samples that stays in cache, then reduced and
 * added to dW once per chunk. dY and x are read in place with the same
 * edge masks as the forward, so nothing is copied.
 *
 * Every output value is computed by one tile in a fixed order, so results
 * are the same for any thread count. */
#include "conv_kernels.h"

#include "threads.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DRIFT_CONV_AVX512 1
#include <immintrin.h>
#define AVX512_FN __attribute__((target("avx512f,fma")))
#endif

#define VEC 16         /* positions per vector */
/* A forward tile keeps CO_BLK x NV_MAX = 24 accumulators in registers;
 * per input channel and tap it loads NV_MAX vectors and broadcasts CO_BLK
 * weights for 24 FMAs (8 x 3 ran 17-20% faster than 4 x 4 here: 115-130
 * GFLOP/s per core on the ref U-Net's convolutions). fwd_tile_avx512
 * dispatches nv = 1..NV_MAX. */
#define CO_BLK 8       /* output channels per forward tile */
#define NV_MAX 3       /* vectors per forward tile */
#define WG_ROWS_MAX 8  /* output channels per weight-gradient tile */
#define WG_TAPS_MAX 9  /* taps of the kernels the weight-gradient tiles take */
#define MAX_TAPS DRIFT_CONV_SAME_MAX_TAPS

static struct {
    bool off;
    bool scalar;
} mode;

static bool cpu_has_avx512(void)
{
#ifdef DRIFT_CONV_AVX512
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return known == 1;
#else
    return false;
#endif
}

bool drift_conv_direct_available(void)
{
    return !mode.off && (mode.scalar || cpu_has_avx512());
}

void drift_conv_direct_enable(bool on) { mode.off = !on; }
void drift_conv_direct_force_scalar(bool on) { mode.scalar = on; }

/* ---- shared set-up -------------------------------------------------- */

typedef struct same_ctx {
    const drift_conv_same *s;
    int taps, cx, cy;        /* taps; channels of x and of y (or dy) */
    int toff[MAX_TAPS];      /* flat input offset of each tap */
    size_t hw;
    int nvec;                /* vectors per plane */
    const uint16_t *masks;   /* [nvec][taps]: lanes whose tap input is inside */
    const float *x, *wp, *bias;
    float *y;
    bool accumulate;
    int npb, ncob;           /* vector groups per plane, channel blocks */
    int span;                /* vector groups per span (forward) */
    int per;                 /* input channels per copied slice; 0: read the planes in place */
} same_ctx;

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/* Packed forward weights: channel blocks of y x channels of x x taps. */
size_t drift_conv_same_packed_floats(const drift_conv_same *s)
{
    return (size_t)ceil_div(s->cout, CO_BLK) * CO_BLK * (size_t)s->cin * (size_t)s->kh * s->kw;
}

size_t drift_conv_same_scratch(const drift_conv_same *s)
{
    size_t hw = (size_t)s->h * s->w, nvec = (hw + VEC - 1) / VEC;
    return (nvec * (size_t)s->kh * s->kw + 1) / 2; /* the mask table */
}

/* Tap offsets and the mask table (in scratch). */
static void setup_taps(same_ctx *c, const drift_conv_same *s, float *scratch)
{
    c->s = s;
    c->taps = s->kh * s->kw;
    c->hw = (size_t)s->h * s->w;
    c->nvec = (int)((c->hw + VEC - 1) / VEC);
    for (int t = 0; t < c->taps; t++)
        c->toff[t] = (t / s->kw - s->kh / 2) * s->w + (t % s->kw - s->kw / 2);
    uint16_t *m = (uint16_t *)scratch;
    for (int v = 0; v < c->nvec; v++)
        for (int t = 0; t < c->taps; t++) {
            int dy = t / s->kw - s->kh / 2, dx = t % s->kw - s->kw / 2;
            unsigned bits = 0;
            for (int i = 0; i < VEC; i++) {
                size_t p = (size_t)v * VEC + i;
                if (p >= c->hw)
                    break;
                int row = (int)(p / (size_t)s->w) + dy, col = (int)(p % (size_t)s->w) + dx;
                if (row >= 0 && row < s->h && col >= 0 && col < s->w)
                    bits |= 1u << i;
            }
            m[(size_t)v * c->taps + t] = (uint16_t)bits;
        }
    c->masks = m;
}

/* wp[cob][t][ci][j] = weight of output channel cob*CO_BLK + j, input
 * channel ci, tap t; zero for channels past cy. Channel blocks are packed
 * in parallel (the packing is a few percent of a small convolution). */
typedef struct pack_job {
    const same_ctx *c;
    const float *w;
    bool transposed;
    float *wp;
} pack_job;

static void pack_range(void *p, size_t begin, size_t end)
{
    const pack_job *pj = p;
    const same_ctx *c = pj->c;
    int T = c->taps;
    for (int cob = (int)begin; cob < (int)end; cob++)
        for (int t = 0; t < T; t++)
            for (int ci = 0; ci < c->cx; ci++) {
                float *dst = pj->wp + (((size_t)cob * T + t) * c->cx + ci) * CO_BLK;
                for (int j = 0; j < CO_BLK; j++) {
                    int o = cob * CO_BLK + j;
                    if (o >= c->cy)
                        dst[j] = 0.0f;
                    else if (pj->transposed)
                        dst[j] = pj->w[((size_t)ci * c->cy + o) * T + (T - 1 - t)];
                    else
                        dst[j] = pj->w[((size_t)o * c->cx + ci) * T + t];
                }
            }
}

void drift_conv_same_pack(const drift_conv_same *s, const float *w, bool transposed, float *wp)
{
    same_ctx c = {.taps = s->kh * s->kw, .cx = s->cin, .cy = s->cout, .ncob = ceil_div(s->cout, CO_BLK)};
    pack_job pj = {&c, w, transposed, wp};
    size_t per_block = (size_t)c.taps * c.cx * CO_BLK;
    size_t grain = per_block >= 8192 ? 1 : 8192 / per_block;
    drift_parallel_for((size_t)c.ncob, grain, pack_range, &pj);
}

/* Tiles per parallel task, so that a task is worth at least 2e5 FLOPs. */
static size_t tiles_per_task(double tile_flops)
{
    return tile_flops >= 2e5 ? 1 : (size_t)(2e5 / tile_flops);
}

/* Lanes of vector v that lie inside the plane. */
static unsigned plane_lanes(const same_ctx *c, int v)
{
    size_t left = c->hw - (size_t)v * VEC;
    return left >= VEC ? 0xffffu : (1u << left) - 1u;
}

/* ---- forward tiles --------------------------------------------------- */

/* One tile's view of its input: channels [c0, c0 + nc) of one sample,
 * copied so that position p0 + i of channel c0 + k is xb[k * stride + i]
 * (taps reach xb[... + toff]); y points at (sample, first channel of the
 * block, p0). `first`: the first channel block (start from bias). */
typedef struct tile_view {
    const float *xb;
    size_t stride;
    int c0, nc, cob, v0, nv;
    float *y;
    bool first;
} tile_view;

static int block_rows(const same_ctx *c, int cob)
{
    int left = c->cy - cob * CO_BLK;
    return left < CO_BLK ? left : CO_BLK;
}

static float start_value(const same_ctx *c, const tile_view *tv, int j, size_t at)
{
    if (j >= block_rows(c, tv->cob))
        return 0.0f;
    if (c->accumulate || !tv->first)
        return tv->y[j * c->hw + at];
    return c->bias ? c->bias[tv->cob * CO_BLK + j] : 0.0f;
}

static void fwd_tile_scalar(const same_ctx *c, const tile_view *tv)
{
    int T = c->taps, rows = block_rows(c, tv->cob);
    for (int v = 0; v < tv->nv; v++) {
        unsigned inside = plane_lanes(c, tv->v0 + v);
        for (int i = 0; i < VEC && (inside >> i & 1); i++) {
            size_t at = (size_t)v * VEC + i;
            float acc[CO_BLK];
            for (int j = 0; j < CO_BLK; j++)
                acc[j] = start_value(c, tv, j, at);
            for (int t = 0; t < T; t++) {
                if (!(c->masks[(size_t)(tv->v0 + v) * T + t] >> i & 1))
                    continue;
                const float *wt = c->wp + (((size_t)tv->cob * T + t) * c->cx + tv->c0) * CO_BLK;
                for (int k = 0; k < tv->nc; k++) {
                    float xv = tv->xb[k * tv->stride + at + c->toff[t]];
                    for (int j = 0; j < CO_BLK; j++)
                        acc[j] += wt[k * CO_BLK + j] * xv;
                }
            }
            for (int j = 0; j < rows; j++)
                tv->y[j * c->hw + at] = acc[j];
        }
    }
}

#ifdef DRIFT_CONV_AVX512
static inline __attribute__((always_inline)) AVX512_FN void
fwd_tile_avx512_nv(const same_ctx *c, const tile_view *tv, const int nv)
{
    int T = c->taps, rows = block_rows(c, tv->cob);
    size_t hw = c->hw, xs = tv->stride;
    float *y = tv->y;
    __m512 acc[CO_BLK][NV_MAX];
    __mmask16 keep[NV_MAX];
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++)
        keep[v] = (__mmask16)plane_lanes(c, tv->v0 + v);
    bool load = c->accumulate || !tv->first;
#pragma GCC unroll 8
    for (int j = 0; j < CO_BLK; j++) {
        float b = !load && c->bias && j < rows ? c->bias[tv->cob * CO_BLK + j] : 0.0f;
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++)
            acc[j][v] = load && j < rows ? _mm512_maskz_loadu_ps(keep[v], y + j * hw + v * VEC)
                                         : _mm512_set1_ps(b);
    }
    for (int t = 0; t < T; t++) {
        __mmask16 m[NV_MAX];
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++)
            m[v] = c->masks[(size_t)(tv->v0 + v) * T + t];
        const float *xt = tv->xb + c->toff[t];
        const float *wt = c->wp + (((size_t)tv->cob * T + t) * c->cx + tv->c0) * CO_BLK;
        for (int k = 0; k < tv->nc; k++) {
            __m512 xv[NV_MAX];
#pragma GCC unroll 8
            for (int v = 0; v < nv; v++)
                xv[v] = _mm512_maskz_loadu_ps(m[v], xt + k * xs + v * VEC);
#pragma GCC unroll 8
            for (int j = 0; j < CO_BLK; j++) {
                __m512 b = _mm512_set1_ps(wt[k * CO_BLK + j]);
#pragma GCC unroll 8
                for (int v = 0; v < nv; v++)
                    acc[j][v] = _mm512_fmadd_ps(xv[v], b, acc[j][v]);
            }
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < CO_BLK; j++)
        if (j < rows)
#pragma GCC unroll 8
            for (int v = 0; v < nv; v++)
                _mm512_mask_storeu_ps(y + j * hw + v * VEC, keep[v], acc[j][v]);
}

static AVX512_FN void fwd_tile_avx512(const same_ctx *c, const tile_view *tv)
{
    switch (tv->nv) {
    case 3: fwd_tile_avx512_nv(c, tv, 3); break;
    case 2: fwd_tile_avx512_nv(c, tv, 2); break;
    default: fwd_tile_avx512_nv(c, tv, 1); break;
    }
}
#endif

/* Floats of the on-stack copy of a span's input channels. */
#define XBUF_FLOATS 8192
/* Vector groups (tiles) that share one copy of their input: the copy
 * carries a halo of about a row on each side, so a longer span copies
 * less per output position; shorter spans when there would be fewer than
 * SPANS_PER_THREAD of them per thread (small planes at batch 1). */
#define SPAN_GROUPS 4
#define SPANS_PER_THREAD 4

/* Copies positions [p0 - halo, p0 + len + halo) of channels [c0, c0 + nc)
 * of sample x into buf rows of `stride` floats, position p0 at column
 * halo; positions outside the plane read as zero. */
static void copy_span(const same_ctx *c, const float *x, int c0, int nc, size_t p0, size_t len,
                      size_t halo, size_t stride, float *buf)
{
    long long lo = (long long)p0 - (long long)halo, hi = (long long)(p0 + len + halo);
    long long a = lo < 0 ? 0 : lo, b = hi > (long long)c->hw ? (long long)c->hw : hi;
    for (int k = 0; k < nc; k++) {
        float *row = buf + k * stride; /* position lo */
        const float *src = x + (size_t)(c0 + k) * c->hw;
        memset(row, 0, (size_t)(a - lo) * sizeof(float));
        memcpy(row + (a - lo), src + a, (size_t)(b - a) * sizeof(float));
        memset(row + (b - lo), 0, (size_t)(hi - b) * sizeof(float));
    }
}

/* Every channel block of vector groups [g0, g1) of one sample, reading
 * input channels [tv->c0, + tv->nc) at tv->xb (position p0 of the span,
 * rows tv->stride apart); y: (sample, channel 0, p0). */
static void fwd_groups(const same_ctx *c, tile_view tv, int g0, int g1, float *y)
{
    const float *xb = tv.xb;
    for (int g = g0; g < g1; g++) {
        tv.v0 = g * NV_MAX;
        tv.nv = c->nvec - tv.v0 < NV_MAX ? c->nvec - tv.v0 : NV_MAX;
        size_t shift = (size_t)(g - g0) * NV_MAX * VEC;
        tv.xb = xb + shift;
        for (int cob = 0; cob < c->ncob; cob++) {
            tv.cob = cob;
            tv.y = y + shift + (size_t)cob * CO_BLK * c->hw;
#ifdef DRIFT_CONV_AVX512
            if (!mode.scalar) {
                fwd_tile_avx512(c, &tv);
                continue;
            }
#endif
            fwd_tile_scalar(c, &tv);
        }
    }
}

static size_t span_halo(const same_ctx *c)
{
    return (size_t)(c->s->kh / 2) * c->s->w + (size_t)(c->s->kw / 2);
}

/* Input channels per slice: about equal slices whose copy fits the buffer
 * for the longest span (0: not even one channel fits; the planes are read
 * in place). A tile sums taps outer and a slice's channels inner, so the
 * slices fix the summation order: they depend on the shape alone, never
 * on the span length or the thread count. */
static int slice_channels(const same_ctx *c)
{
    int groups = SPAN_GROUPS < c->npb ? SPAN_GROUPS : c->npb;
    int vecs = groups * NV_MAX < c->nvec ? groups * NV_MAX : c->nvec;
    size_t stride = 2 * span_halo(c) + (size_t)vecs * VEC;
    int fit = stride <= XBUF_FLOATS ? (int)(XBUF_FLOATS / stride) : 0;
    return fit ? ceil_div(c->cx, ceil_div(c->cx, fit)) : 0;
}

/* Span (sample n, span sp): up to c->span vector groups whose input is
 * copied once per slice of c->per channels. */
static void fwd_span(const same_ctx *c, int n, int sp)
{
    _Alignas(64) float buf[XBUF_FLOATS];
    int g0 = sp * c->span, g1 = g0 + c->span < c->npb ? g0 + c->span : c->npb;
    int v0 = g0 * NV_MAX, v1 = g1 * NV_MAX < c->nvec ? g1 * NV_MAX : c->nvec;
    size_t p0 = (size_t)v0 * VEC, len = (size_t)(v1 - v0) * VEC;
    size_t halo = span_halo(c), stride = halo + len + halo;
    int per = c->per ? c->per : c->cx;
    const float *x = c->x + (size_t)n * c->cx * c->hw;
    float *y = c->y + (size_t)n * c->cy * c->hw + p0;
    for (int c0 = 0; c0 < c->cx; c0 += per) {
        int nc = c->cx - c0 < per ? c->cx - c0 : per;
        tile_view tv = {x + c0 * c->hw + p0, c->hw, c0, nc, 0, 0, 0, NULL, c0 == 0};
        if (c->per) {
            copy_span(c, x, c0, nc, p0, len, halo, stride, buf);
            tv.xb = buf + halo;
            tv.stride = stride;
        }
        fwd_groups(c, tv, g0, g1, y);
    }
}

/* Spans q in [begin, end): q = n * nspan + sp. */
static void fwd_range(void *p, size_t begin, size_t end)
{
    const same_ctx *c = p;
    int nspan = ceil_div(c->npb, c->span);
    for (size_t q = begin; q < end; q++)
        fwd_span(c, (int)(q / (size_t)nspan), (int)(q % (size_t)nspan));
}

void drift_conv_same_forward(const drift_conv_same *s, const float *x, const float *wp, const float *bias,
                             float *y, bool accumulate, float *scratch)
{
    same_ctx c = {0};
    c.cx = s->cin;
    c.cy = s->cout;
    c.ncob = ceil_div(s->cout, CO_BLK);
    setup_taps(&c, s, scratch);
    c.npb = ceil_div(c.nvec, NV_MAX);
    c.x = x;
    c.y = y;
    c.bias = bias;
    c.accumulate = accumulate;
    c.wp = wp;
    c.per = slice_channels(&c);
    size_t want = (size_t)SPANS_PER_THREAD * (size_t)drift_get_threads();
    for (c.span = SPAN_GROUPS; c.span > 1 && (size_t)s->n * ceil_div(c.npb, c.span) < want; c.span--)
        ;
    size_t spans = (size_t)s->n * ceil_div(c.npb, c.span);
    double span_flops = 2.0 * c.ncob * CO_BLK * c.span * NV_MAX * VEC * (double)c.taps * c.cx;
    drift_parallel_for(spans, tiles_per_task(span_flops), fwd_range, &c);
}

/* ---- weight gradient ------------------------------------------------- */

/* Output channels per weight-gradient tile for a kernel of `taps` taps
 * (0: not taken; the caller uses im2col + GEMM). */
static int wgrad_rows(int taps)
{
    return taps == 3 ? 8 : taps == 9 ? 3 : 0;
}

bool drift_conv_same_weight_grad_supported(const drift_conv_same *s)
{
    int rows = wgrad_rows(s->kh * s->kw);
    return rows > 0 && s->cout >= rows;
}

typedef struct wgrad_ctx {
    same_ctx c;       /* taps, offsets, masks; cx = Cin, cy = Cout */
    const float *x;   /* (n, Cin, HW): the chunk's first sample */
    const float *dy;  /* (n, Cout, HW) */
    float *gw;        /* (Cout, Cin, taps) */
    int n, rows, nrb; /* samples in the chunk; channels per tile, blocks */
} wgrad_ctx;

static void wgrad_tile_scalar(const wgrad_ctx *wc, int ci, int rb)
{
    const same_ctx *c = &wc->c;
    int T = c->taps, R = wc->rows, o0 = rb * R < c->cy - R ? rb * R : c->cy - R, skip = rb * R - o0;
    float acc[WG_ROWS_MAX][WG_TAPS_MAX] = {{0}};
    for (int n = 0; n < wc->n; n++) {
        const float *xp = wc->x + ((size_t)n * c->cx + ci) * c->hw;
        const float *dp = wc->dy + ((size_t)n * c->cy + o0) * c->hw;
        for (int v = 0; v < c->nvec; v++)
            for (int i = 0; i < VEC && (plane_lanes(c, v) >> i & 1); i++) {
                size_t p = (size_t)v * VEC + i;
                for (int t = 0; t < T; t++) {
                    if (!(c->masks[(size_t)v * T + t] >> i & 1))
                        continue;
                    float xv = xp[(ptrdiff_t)p + c->toff[t]];
                    for (int j = skip; j < R; j++)
                        acc[j][t] += dp[j * c->hw + p] * xv;
                }
            }
    }
    for (int j = skip; j < R; j++)
        for (int t = 0; t < T; t++)
            wc->gw[((size_t)(o0 + j) * c->cx + ci) * T + t] += acc[j][t];
}

#ifdef DRIFT_CONV_AVX512
/* T taps x R output channels in registers. The last block of channels
 * overlaps the one before it (so every load is a full row) and adds only
 * its own rows. Few taps: the taps' inputs stay in registers and the rows
 * of dY stream past them; many taps: the other way round (24-27
 * accumulators plus the operands fit the 32 registers either way). */
static inline __attribute__((always_inline)) AVX512_FN void
wgrad_tile_avx512_k(const wgrad_ctx *wc, int ci, int rb, const int T, const int R)
{
    const same_ctx *c = &wc->c;
    int o0 = rb * R < c->cy - R ? rb * R : c->cy - R, skip = rb * R - o0;
    size_t hw = c->hw;
    __m512 acc[WG_ROWS_MAX][WG_TAPS_MAX];
#pragma GCC unroll 8
    for (int j = 0; j < R; j++)
#pragma GCC unroll 9
        for (int t = 0; t < T; t++)
            acc[j][t] = _mm512_setzero_ps();
    for (int n = 0; n < wc->n; n++) {
        const float *xp = wc->x + ((size_t)n * c->cx + ci) * hw;
        const float *dp = wc->dy + ((size_t)n * c->cy + o0) * hw;
        for (int v = 0; v < c->nvec; v++) {
            __mmask16 keep = (__mmask16)plane_lanes(c, v);
            const uint16_t *m = c->masks + (size_t)v * T;
            const float *xv0 = xp + (ptrdiff_t)v * VEC, *dv0 = dp + (size_t)v * VEC;
            if (T < R) {
                __m512 xv[WG_TAPS_MAX];
#pragma GCC unroll 9
                for (int t = 0; t < T; t++)
                    xv[t] = _mm512_maskz_loadu_ps(m[t], xv0 + c->toff[t]);
#pragma GCC unroll 8
                for (int j = 0; j < R; j++) {
                    __m512 d = _mm512_maskz_loadu_ps(keep, dv0 + j * hw);
#pragma GCC unroll 9
                    for (int t = 0; t < T; t++)
                        acc[j][t] = _mm512_fmadd_ps(d, xv[t], acc[j][t]);
                }
            } else {
                __m512 d[WG_ROWS_MAX];
#pragma GCC unroll 8
                for (int j = 0; j < R; j++)
                    d[j] = _mm512_maskz_loadu_ps(keep, dv0 + j * hw);
#pragma GCC unroll 9
                for (int t = 0; t < T; t++) {
                    __m512 xv = _mm512_maskz_loadu_ps(m[t], xv0 + c->toff[t]);
#pragma GCC unroll 8
                    for (int j = 0; j < R; j++)
                        acc[j][t] = _mm512_fmadd_ps(d[j], xv, acc[j][t]);
                }
            }
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < R; j++)
        if (j >= skip)
#pragma GCC unroll 9
            for (int t = 0; t < T; t++)
                wc->gw[((size_t)(o0 + j) * c->cx + ci) * T + t] += _mm512_reduce_add_ps(acc[j][t]);
}

static AVX512_FN void wgrad_tile_avx512(const wgrad_ctx *wc, int ci, int rb)
{
    if (wc->c.taps == 9)
        wgrad_tile_avx512_k(wc, ci, rb, 9, 3);
    else
        wgrad_tile_avx512_k(wc, ci, rb, 3, 8);
}
#endif

/* Tiles q in [begin, end): q = ci * nrb + rb (tiles of one input channel
 * share its planes in cache). */
static void wgrad_range(void *p, size_t begin, size_t end)
{
    const wgrad_ctx *wc = p;
    for (size_t q = begin; q < end; q++) {
        int ci = (int)(q / (size_t)wc->nrb), rb = (int)(q % (size_t)wc->nrb);
#ifdef DRIFT_CONV_AVX512
        if (!mode.scalar) {
            wgrad_tile_avx512(wc, ci, rb);
            continue;
        }
#endif
        wgrad_tile_scalar(wc, ci, rb);
    }
}

/* Floats of x and dY a chunk of samples may span (about 1 MB: both threads'
 * tiles read the same chunk from the shared cache). */
#define WG_CHUNK_FLOATS (256 * 1024)

void drift_conv_same_weight_grad(const drift_conv_same *s, const float *x, const float *dy, float *gw,
                                 float *scratch)
{
    wgrad_ctx wc = {0};
    wc.c.cx = s->cin;
    wc.c.cy = s->cout;
    setup_taps(&wc.c, s, scratch);
    wc.gw = gw;
    wc.rows = wgrad_rows(wc.c.taps);
    wc.nrb = ceil_div(s->cout, wc.rows);
    size_t per_sample = (size_t)(s->cin + s->cout) * wc.c.hw;
    int chunk = per_sample >= WG_CHUNK_FLOATS ? 1 : (int)(WG_CHUNK_FLOATS / per_sample);
    if (chunk > s->n)
        chunk = s->n;
    size_t tiles = (size_t)s->cin * wc.nrb;
    for (int n0 = 0; n0 < s->n; n0 += chunk) {
        wc.n = s->n - n0 < chunk ? s->n - n0 : chunk;
        wc.x = x + (size_t)n0 * s->cin * wc.c.hw;
        wc.dy = dy + (size_t)n0 * s->cout * wc.c.hw;
        double tile_flops = 2.0 * wc.rows * wc.c.taps * (double)wc.n * (double)wc.c.nvec * VEC;
        drift_parallel_for(tiles, tiles_per_task(tile_flops), wgrad_range, &wc);
    }
}
