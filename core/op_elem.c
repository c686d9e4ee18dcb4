/* op_elem.c: elementwise operators (see op_elem.h): SiLU, add, mul, scale,
 * per-channel add and mul, dropout. Loops run in fixed contiguous ranges
 * through drift_parallel_for, so results do not depend on the thread
 * count; reductions (channel gradients) run per row in one thread. */
#include "op_elem.h"

#include <math.h>
#include <string.h>

#include "threads.h"

/* Elements per parallel range: below this a loop is not worth a thread. */
#define ELEM_GRAIN 16384

/* ---- vectorisable kernels --------------------------------------------- */

/* Runs `stmt` for every i in [lo, hi) in blocks of a fixed length: loops of
 * this shape over restrict pointers are what compilers vectorise at -O2. */
#define ELEM_BLOCK 16
#define BLOCKED_FOR(i, lo, hi, stmt)                                 \
    do {                                                             \
        size_t i##_blk = (lo);                                       \
        for (; i##_blk + ELEM_BLOCK <= (hi); i##_blk += ELEM_BLOCK)  \
            for (int i##_k = 0; i##_k < ELEM_BLOCK; i##_k++) {       \
                size_t i = i##_blk + (size_t)i##_k;                  \
                stmt;                                                \
            }                                                        \
        for (size_t i = i##_blk; i < (hi); i++)                      \
            stmt;                                                    \
    } while (0)

#define ELEM_CLONES DRIFT_SIMD_CLONES

static inline float sigmoidf(float x) { return 1.0f / (1.0f + drift_fast_expf(-x)); }

static inline float silu_slope(float x)
{
    float s = sigmoidf(x);
    return s * (1.0f + x * (1.0f - s));
}

ELEM_CLONES static void k_silu(const float *restrict x, float *restrict y, size_t lo, size_t hi)
{
    BLOCKED_FOR(i, lo, hi, y[i] = x[i] / (1.0f + drift_fast_expf(-x[i])));
}

/* gx += gy * silu'(x) */
ELEM_CLONES static void k_silu_grad(const float *restrict x, const float *restrict gy, float *restrict gx,
                        size_t lo, size_t hi)
{
    BLOCKED_FOR(i, lo, hi, gx[i] += gy[i] * silu_slope(x[i]));
}

ELEM_CLONES static void k_add(const float *restrict a, const float *restrict b, float *restrict y, size_t lo,
                  size_t hi)
{
    BLOCKED_FOR(i, lo, hi, y[i] = a[i] + b[i]);
}

ELEM_CLONES static void k_mul(const float *restrict a, const float *restrict b, float *restrict y, size_t lo,
                  size_t hi)
{
    BLOCKED_FOR(i, lo, hi, y[i] = a[i] * b[i]);
}

/* y = a * s + c (exact for s = 1 or c = 0) */
ELEM_CLONES static void k_affine(const float *restrict a, float s, float c, float *restrict y, size_t lo, size_t hi)
{
    BLOCKED_FOR(i, lo, hi, y[i] = a[i] * s + c);
}

/* g += s * gy * b, or g += s * gy if b is NULL (exact for s = 1) */
ELEM_CLONES static void k_axpy(const float *restrict gy, const float *restrict b, float s, float *restrict g,
                   size_t lo, size_t hi)
{
    if (b)
        BLOCKED_FOR(i, lo, hi, g[i] += s * gy[i] * b[i]);
    else
        BLOCKED_FOR(i, lo, hi, g[i] += s * gy[i]);
}

double drift_dot_double(const float *a, const float *b, size_t n)
{
    enum { LANES = 8 };
    double acc[LANES] = {0}, sum = 0;
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        if (b)
            for (int k = 0; k < LANES; k++)
                acc[k] += (double)a[i + k] * b[i + k];
        else
            for (int k = 0; k < LANES; k++)
                acc[k] += a[i + k];
    }
    for (; i < n; i++)
        acc[0] += b ? (double)a[i] * b[i] : a[i];
    for (int k = 0; k < LANES; k++)
        sum += acc[k];
    return sum;
}

/* ---- unary and binary maps ------------------------------------------- */

typedef enum { EW_SILU, EW_ADD, EW_MUL, EW_SCALE } ew_kind;

typedef struct {
    ew_kind kind;
    float s;            /* EW_SCALE's factor */
    const float *a, *b; /* inputs (b: binary kinds only) */
    float *y;           /* forward output */
    const float *gy;    /* backward: gradient of the output */
    float *ga, *gb;     /* backward: input gradients, NULL if not needed */
} ew_job;

static void ew_forward_range(void *p, size_t lo, size_t hi)
{
    const ew_job *j = p;
    switch (j->kind) {
    case EW_SILU:
        k_silu(j->a, j->y, lo, hi);
        break;
    case EW_ADD:
        k_add(j->a, j->b, j->y, lo, hi);
        break;
    case EW_MUL:
        k_mul(j->a, j->b, j->y, lo, hi);
        break;
    case EW_SCALE:
        k_affine(j->a, j->s, 0.0f, j->y, lo, hi);
        break;
    }
}

/* Adds gy * d(y)/d(a) into ga (and d(y)/d(b) into gb). */
static void ew_backward_range(void *p, size_t lo, size_t hi)
{
    const ew_job *j = p;
    switch (j->kind) {
    case EW_SILU:
        k_silu_grad(j->a, j->gy, j->ga, lo, hi);
        break;
    case EW_ADD:
    case EW_MUL:
        if (j->ga)
            k_axpy(j->gy, j->kind == EW_MUL ? j->b : NULL, 1.0f, j->ga, lo, hi);
        if (j->gb)
            k_axpy(j->gy, j->kind == EW_MUL ? j->a : NULL, 1.0f, j->gb, lo, hi);
        break;
    case EW_SCALE:
        k_axpy(j->gy, NULL, j->s, j->ga, lo, hi);
        break;
    }
}

static void ew_backward(drift_graph *g, const drift_node *node)
{
    ew_job j = {0};
    j.kind = (ew_kind)node->iarg[0];
    if (node->ctx)
        j.s = *(const float *)node->ctx;
    j.a = node->in[0]->data;
    j.ga = drift_grad(g, node->in[0]);
    if (node->n_in > 1) {
        j.b = node->in[1]->data;
        j.gb = drift_grad(g, node->in[1]);
    }
    j.gy = node->out->grad;
    if (!j.ga && !j.gb)
        return;
    drift_parallel_for(node->out->numel, ELEM_GRAIN, ew_backward_range, &j);
}

/* a: any shape; b: NULL or a's shape -> a's shape. */
static drift_tensor *elementwise(drift_graph *g, ew_kind kind, drift_tensor *a, drift_tensor *b,
                                 float s)
{
    drift_tensor *y = drift_graph_tensor(g, a->ndim, a->shape);
    if (!y)
        return NULL;
    ew_job j = {kind, s, a->data, b ? b->data : NULL, y->data, NULL, NULL, NULL};
    drift_parallel_for(y->numel, ELEM_GRAIN, ew_forward_range, &j);
    drift_tensor *in[2] = {a, b};
    drift_node *node = drift_graph_record(g, ew_backward, y, b ? 2 : 1, in);
    if (node) {
        node->iarg[0] = (int)kind;
        if (kind == EW_SCALE) {
            float *saved = drift_graph_alloc(g, sizeof *saved);
            if (!saved)
                return NULL;
            *saved = s;
            node->ctx = saved;
        }
    }
    return y;
}

static bool same_shape_or_fail(drift_graph *g, const char *op, const drift_tensor *a,
                               const drift_tensor *b)
{
    if (drift_tensor_same_shape(a, b))
        return true;
    char sa[64], sb[64];
    drift_graph_fail(g, DRIFT_ERR_SHAPE, "%s: shapes %s and %s differ", op,
                     drift_tensor_shape_str(a, sa, sizeof sa), drift_tensor_shape_str(b, sb, sizeof sb));
    return false;
}

drift_tensor *drift_silu(drift_graph *g, drift_tensor *x)
{
    DRIFT_CHECK_INPUTS(g, x);
    return elementwise(g, EW_SILU, x, NULL, 0);
}

drift_tensor *drift_add(drift_graph *g, drift_tensor *a, drift_tensor *b)
{
    DRIFT_CHECK_INPUTS(g, a, b);
    if (!same_shape_or_fail(g, "drift_add", a, b))
        return NULL;
    return elementwise(g, EW_ADD, a, b, 0);
}

drift_tensor *drift_mul(drift_graph *g, drift_tensor *a, drift_tensor *b)
{
    DRIFT_CHECK_INPUTS(g, a, b);
    if (!same_shape_or_fail(g, "drift_mul", a, b))
        return NULL;
    return elementwise(g, EW_MUL, a, b, 0);
}

drift_tensor *drift_scale(drift_graph *g, drift_tensor *x, float s)
{
    DRIFT_CHECK_INPUTS(g, x);
    if (!isfinite(s)) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "drift_scale: factor %g is not finite", (double)s);
        return NULL;
    }
    return elementwise(g, EW_SCALE, x, NULL, s);
}

/* ---- per-channel add and mul ----------------------------------------- */

typedef struct {
    bool mul;
    size_t positions;   /* elements per (n, c) row */
    const float *x, *v; /* x: rows x positions, v: one value per row */
    float *y;
    const float *gy;
    float *gx, *gv;
} chan_job;

static void chan_forward_range(void *p, size_t lo, size_t hi)
{
    const chan_job *j = p;
    size_t n = j->positions;
    for (size_t r = lo; r < hi; r++)
        k_affine(j->x + r * n, j->mul ? j->v[r] : 1.0f, j->mul ? 0.0f : j->v[r], j->y + r * n, 0, n);
}

static void chan_backward_range(void *p, size_t lo, size_t hi)
{
    const chan_job *j = p;
    size_t n = j->positions;
    for (size_t r = lo; r < hi; r++) {
        if (j->gx)
            k_axpy(j->gy + r * n, NULL, j->mul ? j->v[r] : 1.0f, j->gx + r * n, 0, n);
        if (j->gv)
            j->gv[r] += (float)drift_dot_double(j->gy + r * n, j->mul ? j->x + r * n : NULL, n);
    }
}

static size_t rows_grain(size_t positions)
{
    return positions >= ELEM_GRAIN ? 1 : ELEM_GRAIN / positions;
}

static void chan_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *x = node->in[0], *v = node->in[1];
    chan_job j = {node->iarg[0] != 0, drift_tensor_inner(x, 2), x->data, v->data, NULL,
                  node->out->grad, drift_grad(g, x), drift_grad(g, v)};
    if (!j.gx && !j.gv)
        return;
    drift_parallel_for(v->numel, rows_grain(j.positions), chan_backward_range, &j);
}

/* x: (N,C,...), v: (N,C) -> x's shape */
static drift_tensor *channel_op(drift_graph *g, const char *op, bool mul, drift_tensor *x,
                                drift_tensor *v)
{
    char sx[64], sv[64];
    if (x->ndim < 2 || v->ndim < 2 || v->shape[0] != x->shape[0] || v->shape[1] != x->shape[1] ||
        v->numel != (size_t)x->shape[0] * (size_t)x->shape[1]) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "%s: x %s needs v of shape (N,C), got %s", op,
                         drift_tensor_shape_str(x, sx, sizeof sx),
                         drift_tensor_shape_str(v, sv, sizeof sv));
        return NULL;
    }
    drift_tensor *y = drift_graph_tensor(g, x->ndim, x->shape);
    if (!y)
        return NULL;
    chan_job j = {mul, drift_tensor_inner(x, 2), x->data, v->data, y->data, NULL, NULL, NULL};
    drift_parallel_for(v->numel, rows_grain(j.positions), chan_forward_range, &j);
    drift_tensor *in[2] = {x, v};
    drift_node *node = drift_graph_record(g, chan_backward, y, 2, in);
    if (node)
        node->iarg[0] = mul;
    return y;
}

drift_tensor *drift_add_channel(drift_graph *g, drift_tensor *x, drift_tensor *v)
{
    DRIFT_CHECK_INPUTS(g, x, v);
    return channel_op(g, "drift_add_channel", false, x, v);
}

drift_tensor *drift_mul_channel(drift_graph *g, drift_tensor *x, drift_tensor *v)
{
    DRIFT_CHECK_INPUTS(g, x, v);
    return channel_op(g, "drift_mul_channel", true, x, v);
}

/* ---- dropout ----------------------------------------------------------- */

typedef struct {
    drift_rng rng;      /* state at the forward call: block i/4 decides element i */
    uint64_t threshold; /* keep element iff its 32-bit word >= threshold */
    float scale;        /* 1 / (1 - p) */
} dropout_mask;

typedef struct {
    const dropout_mask *m;
    const float *src;
    float *dst;
    bool accumulate; /* backward adds into dst, forward overwrites it */
} dropout_job;

/* dst[i] (+)= src[i] * (kept(i) ? scale : 0) */
static void dropout_range(void *p, size_t lo, size_t hi)
{
    const dropout_job *j = p;
    const dropout_mask *m = j->m;
    enum { CHUNK = 64 }; /* blocks of four words made at a time */
    uint32_t w[4 * CHUNK];
    for (size_t i = lo; i < hi;) {
        size_t block = i / 4, blocks = (hi + 3) / 4 - block;
        blocks = blocks < CHUNK ? blocks : CHUNK;
        size_t end = 4 * (block + blocks) < hi ? 4 * (block + blocks) : hi;
        drift_philox_blocks(m->rng.seed, m->rng.stream, m->rng.counter + block, blocks, w);
        for (; i < end; i++) {
            float keep = (uint64_t)w[i - 4 * block] >= m->threshold ? m->scale : 0.0f;
            float v = j->src[i] * keep;
            j->dst[i] = j->accumulate ? j->dst[i] + v : v;
        }
    }
}

static void dropout_backward(drift_graph *g, const drift_node *node)
{
    float *gx = drift_grad(g, node->in[0]);
    if (!gx)
        return;
    dropout_job j = {node->ctx, node->out->grad, gx, true};
    drift_parallel_for(node->out->numel, ELEM_GRAIN, dropout_range, &j);
}

drift_tensor *drift_dropout(drift_graph *g, drift_tensor *x, float p, drift_rng *rng)
{
    DRIFT_CHECK_INPUTS(g, x);
    if (!(p >= 0.0f && p < 1.0f)) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "drift_dropout: probability %g is not in [0, 1)", (double)p);
        return NULL;
    }
    if (p == 0.0f || !drift_graph_grad_enabled(g))
        return x;
    if (!rng) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "drift_dropout: p = %g needs a random generator", (double)p);
        return NULL;
    }
    dropout_mask *m = drift_graph_alloc(g, sizeof *m);
    drift_tensor *y = m ? drift_graph_tensor(g, x->ndim, x->shape) : NULL;
    if (!y)
        return NULL;
    m->rng = *rng;
    m->threshold = (uint64_t)((double)p * 4294967296.0);
    m->scale = 1.0f / (1.0f - p);
    rng->counter += (x->numel + 3) / 4;
    dropout_job j = {m, x->data, y->data, false};
    drift_parallel_for(x->numel, ELEM_GRAIN, dropout_range, &j);
    drift_node *node = drift_graph_record(g, dropout_backward, y, 1, &x);
    if (node)
        node->ctx = m;
    return y;
}
