/* op_conv.c: convolution as matrix products over groups of samples.
 *
 * Forward, for each group of samples (as many as keep the column matrix
 * near 2 MB, so it stays in cache; at least one): im2col writes their
 * input patches into col[Cin*KH*KW, n*Ho*Wo] (scratch slot 0); one GEMM
 * Y[Cout, n*Ho*Wo] = W[Cout, Cin*KH*KW] x col (scratch slot 1); a scatter
 * moves Y into NCHW order and adds the bias. With one sample per group, Y
 * already is the output; with a 1x1 kernel, stride 1 and no padding as
 * well, col is x itself.
 *
 * Backward, per group: dY is gathered to [Cout, n*Ho*Wo]; db += row sums
 * of dY; dW += dY x col^T with col recomputed (cheaper in memory than
 * keeping it); dcol = W^T x dY, then col2im adds dcol into dx.
 *
 * The copy loops run in parallel over rows of col, over (n, c) planes or
 * over (c, n) blocks; every output value is written by one thread in a
 * fixed order and the grouping depends only on the shapes, so results do
 * not depend on the thread count. */
#include "op_conv.h"

#include "blas.h"
#include "conv_kernels.h"
#include "threads.h"

#include <limits.h>
#include <string.h>

/* Sizes of one convolution; a 1-D one has h = kh = 1 and pad_h = 0. */
typedef struct conv_geom {
    int n, cin, h, w;
    int cout, kh, kw;
    int ho, wo;
    int stride, pad_h, pad_w;
    int k;          /* cin * kh * kw: rows of col */
    int np;         /* n * ho * wo: columns of col */
    size_t in_hw;   /* h * w */
    size_t out_hw;  /* ho * wo */
} conv_geom;

/* Copy loops are split into pieces of at least this many floats. */
#define CONV_GRAIN_FLOATS 16384

static size_t grain_for(size_t floats_per_item)
{
    size_t g = CONV_GRAIN_FLOATS / (floats_per_item ? floats_per_item : 1);
    return g ? g : 1;
}

static bool is_pointwise(const conv_geom *c)
{
    return c->kh == 1 && c->kw == 1 && c->stride == 1 && c->pad_h == 0 && c->pad_w == 0;
}

/* Fills c from the shapes and checks they fit; false (graph failed) if not. */
static bool conv_geometry(drift_graph *g, const drift_tensor *x, const drift_tensor *w,
                          const drift_tensor *b, int stride, int pad, conv_geom *c)
{
    char xs[64], ws[64];
    drift_tensor_shape_str(x, xs, sizeof xs);
    drift_tensor_shape_str(w, ws, sizeof ws);
    if (x->ndim != 3 && x->ndim != 4) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "conv: input %s must be (N,C,L) or (N,C,H,W)", xs);
        return false;
    }
    if (w->ndim != x->ndim) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "conv: weight %s must have %d dims for input %s",
                         ws, x->ndim, xs);
        return false;
    }
    if (w->shape[1] != x->shape[1]) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "conv: input has %d channels but weight expects %d",
                         x->shape[1], w->shape[1]);
        return false;
    }
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0])) {
        drift_tensor_shape_str(b, xs, sizeof xs);
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "conv: bias %s must be (%d) for weight %s", xs,
                         w->shape[0], ws);
        return false;
    }
    if (stride < 1 || pad < 0) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "conv: stride must be >= 1 and pad >= 0, got %d and %d",
                         stride, pad);
        return false;
    }
    bool two_d = x->ndim == 4;
    *c = (conv_geom){.n = x->shape[0], .cin = x->shape[1], .cout = w->shape[0],
                     .h = two_d ? x->shape[2] : 1, .w = x->shape[x->ndim - 1],
                     .kh = two_d ? w->shape[2] : 1, .kw = w->shape[w->ndim - 1],
                     .stride = stride, .pad_h = two_d ? pad : 0, .pad_w = pad};
    long long span_h = (long long)c->h + 2LL * c->pad_h - c->kh;
    long long span_w = (long long)c->w + 2LL * c->pad_w - c->kw;
    if (span_h < 0 || span_w < 0) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "conv: kernel %s is larger than input %s padded by %d",
                         ws, xs, pad);
        return false;
    }
    c->ho = (int)(span_h / stride + 1);
    c->wo = (int)(span_w / stride + 1);
    long long k = (long long)c->cin * c->kh * c->kw;
    long long np = (long long)c->n * c->ho * c->wo;
    if (k > INT_MAX || np > INT_MAX) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "conv: input %s with weight %s is too large", xs, ws);
        return false;
    }
    c->k = (int)k;
    c->np = (int)np;
    c->in_hw = (size_t)c->h * (size_t)c->w;
    c->out_hw = (size_t)c->ho * (size_t)c->wo;
    return true;
}

/* The output columns [lo, hi) whose input column ow*stride - pad + kj lies
 * inside [0, w): the rest read padding. */
static void valid_cols(const conv_geom *c, int kj, int *lo, int *hi)
{
    int first = c->pad_w - kj; /* ow*stride must be >= this */
    int a = first > 0 ? (first + c->stride - 1) / c->stride : 0;
    int last = c->w - 1 + c->pad_w - kj; /* ow*stride must be <= this */
    int b = last >= 0 ? last / c->stride + 1 : 0;
    if (b > c->wo)
        b = c->wo;
    if (a > b)
        a = b;
    *lo = a;
    *hi = b;
}

/* Likewise the output rows [lo, hi) whose input row lies inside [0, h). */
static void valid_rows(const conv_geom *c, int ki, int *lo, int *hi)
{
    conv_geom t = *c;
    t.w = c->h;
    t.wo = c->ho;
    t.pad_w = c->pad_h;
    valid_cols(&t, ki, lo, hi);
}

/* Stride 1 with output width = input width ("same" padding, 1x1 kernels,
 * 1-D convolutions): output (oh, ow) reads input flat index
 * oh*w + ow + shift for every kernel offset, so a whole plane moves as one
 * contiguous block; only the columns that wrap around need fixing. */
static bool is_flat_shift(const conv_geom *c)
{
    return c->stride == 1 && c->wo == c->w;
}

/* d[i] += s[i]; blocks of 8 so the compiler vectorises it at -O2. */
static void add_floats(float *restrict d, const float *restrict s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            d[i + j] += s[i + j];
    for (; i < n; i++)
        d[i] += s[i];
}

/* d[i] += v, vectorisable like add_floats. */
static void add_scalar(float *d, float v, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            d[i + j] += v;
    for (; i < n; i++)
        d[i] += v;
}

/* Sum of s[0..n): eight float lanes over blocks of 512, blocks added in
 * double. The order is fixed, so the result is too. */
static double sum_floats(const float *s, size_t n)
{
    double total = 0;
    size_t i = 0;
    while (i < n) {
        size_t end = n - i > 512 ? i + 512 : n;
        float lane[8] = {0};
        for (; i + 8 <= end; i += 8)
            for (int j = 0; j < 8; j++)
                lane[j] += s[i + j];
        for (; i < end; i++)
            lane[0] += s[i];
        for (int j = 0; j < 8; j++)
            total += lane[j];
    }
    return total;
}

/* Zeroes columns [0, lo) and [hi, wo) of rows [r0, r1) of a plane. */
static void zero_edges(const conv_geom *c, float *plane, int r0, int r1, int lo, int hi)
{
    for (int oh = r0; oh < r1; oh++) {
        float *row = plane + (size_t)oh * c->wo;
        for (int ow = 0; ow < lo; ow++)
            row[ow] = 0.0f;
        for (int ow = hi; ow < c->wo; ow++)
            row[ow] = 0.0f;
    }
}

/* ---- im2col and col2im ----------------------------------------------- */

typedef struct col_ctx {
    const conv_geom *c;
    const float *x; /* (N,Cin,H,W) */
    float *col;     /* [K, NP]; col2im may clear entries that read padding */
    float *dx;      /* (N,Cin,H,W), col2im adds here */
} col_ctx;

/* One plane (Ho x Wo) of col for the input plane `plane` at offset (ki, kj). */
static void im2col_plane(const conv_geom *c, const float *plane, float *dst, int ki, int kj)
{
    int lo, hi, r0, r1, s = c->stride;
    valid_cols(c, kj, &lo, &hi);
    valid_rows(c, ki, &r0, &r1);
    if (lo == hi || r0 == r1) {
        memset(dst, 0, c->out_hw * sizeof(float));
        return;
    }
    if (is_flat_shift(c)) {
        size_t d0 = (size_t)r0 * c->wo + lo, d1 = (size_t)(r1 - 1) * c->wo + hi;
        size_t src0 = (size_t)(r0 - c->pad_h + ki) * c->w + (size_t)(lo - c->pad_w + kj);
        memset(dst, 0, d0 * sizeof(float));
        memcpy(dst + d0, plane + src0, (d1 - d0) * sizeof(float));
        memset(dst + d1, 0, (c->out_hw - d1) * sizeof(float));
        zero_edges(c, dst, r0, r1, lo, hi);
        return;
    }
    memset(dst, 0, (size_t)r0 * c->wo * sizeof(float));
    for (int oh = r0; oh < r1; oh++) {
        const float *src = plane + (size_t)(oh * s - c->pad_h + ki) * c->w;
        float *row = dst + (size_t)oh * c->wo;
        int off = kj - c->pad_w; /* input column of ow is ow*s + off */
        for (int ow = lo; ow < hi; ow++)
            row[ow] = src[ow * s + off];
    }
    zero_edges(c, dst, r0, r1, lo, hi);
    memset(dst + (size_t)r1 * c->wo, 0, (size_t)(c->ho - r1) * c->wo * sizeof(float));
}

static void im2col_range(void *p, size_t begin, size_t end)
{
    col_ctx *ctx = p;
    const conv_geom *c = ctx->c;
    for (size_t r = begin; r < end; r++) {
        int kj = (int)(r % (size_t)c->kw);
        int ki = (int)((r / (size_t)c->kw) % (size_t)c->kh);
        size_t ch = r / ((size_t)c->kw * c->kh);
        for (int n = 0; n < c->n; n++)
            im2col_plane(c, ctx->x + ((size_t)n * c->cin + ch) * c->in_hw,
                         ctx->col + r * (size_t)c->np + (size_t)n * c->out_hw, ki, kj);
    }
}

/* Adds one col plane (offset ki, kj) into the input plane it was read
 * from: the adjoint of im2col_plane. Clears src's padding entries. */
static void col2im_plane(const conv_geom *c, float *src, float *plane, int ki, int kj)
{
    int lo, hi, r0, r1, s = c->stride;
    valid_cols(c, kj, &lo, &hi);
    valid_rows(c, ki, &r0, &r1);
    if (lo == hi || r0 == r1)
        return;
    if (is_flat_shift(c)) {
        zero_edges(c, src, r0, r1, lo, hi);
        size_t d0 = (size_t)r0 * c->wo + lo, d1 = (size_t)(r1 - 1) * c->wo + hi;
        size_t dst0 = (size_t)(r0 - c->pad_h + ki) * c->w + (size_t)(lo - c->pad_w + kj);
        add_floats(plane + dst0, src + d0, d1 - d0);
        return;
    }
    for (int oh = r0; oh < r1; oh++) {
        float *dst = plane + (size_t)(oh * s - c->pad_h + ki) * c->w;
        const float *row = src + (size_t)oh * c->wo;
        int off = kj - c->pad_w;
        for (int ow = lo; ow < hi; ow++)
            dst[ow * s + off] += row[ow];
    }
}

/* Plane q = (n, ch) of dx gets every col row (ch, ki, kj) of sample n. */
static void col2im_range(void *p, size_t begin, size_t end)
{
    col_ctx *ctx = p;
    const conv_geom *c = ctx->c;
    for (size_t q = begin; q < end; q++) {
        size_t n = q / (size_t)c->cin, ch = q % (size_t)c->cin;
        for (int ki = 0; ki < c->kh; ki++)
            for (int kj = 0; kj < c->kw; kj++) {
                size_t r = (ch * c->kh + ki) * c->kw + kj;
                col2im_plane(c, ctx->col + r * (size_t)c->np + n * c->out_hw,
                             ctx->dx + q * c->in_hw, ki, kj);
            }
    }
}

/* col for x: x itself when the convolution is pointwise on one sample,
 * else patches written into scratch slot 0. NULL on failure. */
static const float *make_col(drift_graph *g, const conv_geom *c, const float *x)
{
    if (is_pointwise(c) && c->n == 1)
        return x;
    float *col = drift_graph_scratch(g, 0, (size_t)c->k * (size_t)c->np);
    if (!col)
        return NULL;
    col_ctx ctx = {c, x, col, NULL};
    drift_parallel_for((size_t)c->k, grain_for((size_t)c->np), im2col_range, &ctx);
    return col;
}

/* ---- between [Cout, N*HoWo] and (N,Cout,HoWo) -------------------------- */

typedef struct block_ctx {
    const conv_geom *c;
    float *mat;        /* [Cout, NP] */
    float *nchw;       /* (N,Cout,HoWo) */
    const float *bias; /* forward only, may be NULL */
    bool to_nchw;      /* forward scatter, else backward gather */
} block_ctx;

/* Block q = (co, n): one output plane. In place when mat == nchw (N = 1). */
static void move_blocks(void *p, size_t begin, size_t end)
{
    block_ctx *ctx = p;
    const conv_geom *c = ctx->c;
    size_t hw = c->out_hw;
    for (size_t q = begin; q < end; q++) {
        size_t co = q / (size_t)c->n, n = q % (size_t)c->n;
        float *m = ctx->mat + co * (size_t)c->np + n * hw;
        float *t = ctx->nchw + (n * (size_t)c->cout + co) * hw;
        if (m != t) {
            if (ctx->to_nchw)
                memcpy(t, m, hw * sizeof(float));
            else
                memcpy(m, t, hw * sizeof(float));
        }
        if (ctx->to_nchw && ctx->bias)
            add_scalar(t, ctx->bias[co], hw);
    }
}

static void move_all_blocks(const conv_geom *c, float *mat, float *nchw, const float *bias,
                            bool to_nchw)
{
    if (mat == nchw && !bias)
        return;
    block_ctx ctx = {c, mat, nchw, bias, to_nchw};
    drift_parallel_for((size_t)c->cout * c->n, grain_for(c->out_hw), move_blocks, &ctx);
}

/* ---- forward and backward --------------------------------------------- */

typedef struct rowsum_ctx {
    const float *mat; /* [rows, cols] */
    float *out;       /* out[r] += sum of row r */
    size_t cols;
} rowsum_ctx;

static void rowsum_range(void *p, size_t begin, size_t end)
{
    rowsum_ctx *ctx = p;
    for (size_t r = begin; r < end; r++) {
        ctx->out[r] += (float)sum_floats(ctx->mat + r * ctx->cols, ctx->cols);
    }
}

/* Samples per group: the columns of one group fill at most about
 * CONV_CHUNK_FLOATS floats, so col stays in cache (one huge GEMM with few
 * rows runs far below peak) and scratch stays small. At least one sample. */
#define CONV_CHUNK_FLOATS (1u << 19)

static int chunk_samples(const conv_geom *c)
{
    size_t per_sample = (size_t)c->k * c->out_hw;
    size_t nb = CONV_CHUNK_FLOATS / (per_sample ? per_sample : 1);
    if (nb < 1)
        nb = 1;
    return nb < (size_t)c->n ? (int)nb : c->n;
}

/* The geometry of samples [n0, n0 + count). */
static conv_geom sub_geometry(const conv_geom *c, int count)
{
    conv_geom s = *c;
    s.n = count;
    s.np = (int)((size_t)count * s.out_hw);
    return s;
}

/* out (N,Cout,HoWo) for samples of c: im2col, one GEMM, scatter + bias. */
static void conv_forward_chunk(drift_graph *g, const conv_geom *c, const float *x, const float *w,
                               const float *bias, float *out)
{
    const float *col = make_col(g, c, x);
    float *y = c->n == 1 ? out : drift_graph_scratch(g, 1, (size_t)c->cout * (size_t)c->np);
    if (!col || !y)
        return;
    drift_sgemm(false, false, c->cout, c->np, c->k, 1.0f, w, c->k, col, c->np, 0.0f, y, c->np);
    move_all_blocks(c, y, out, bias, true);
}

static void conv_backward_weights(drift_graph *g, const conv_geom *c, const float *x,
                                  const float *dy, float *gw)
{
    const float *col = make_col(g, c, x);
    if (col)
        drift_sgemm(false, true, c->cout, c->k, c->np, 1.0f, dy, c->np, col, c->np, 1.0f, gw,
                    c->k);
}

static void conv_backward_input(drift_graph *g, const conv_geom *c, const float *w,
                                const float *dy, float *gx)
{
    if (is_pointwise(c) && c->n == 1) {
        drift_sgemm(true, false, c->k, c->np, c->cout, 1.0f, w, c->k, dy, c->np, 1.0f, gx, c->np);
        return;
    }
    float *dcol = drift_graph_scratch(g, 0, (size_t)c->k * (size_t)c->np);
    if (!dcol)
        return;
    drift_sgemm(true, false, c->k, c->np, c->cout, 1.0f, w, c->k, dy, c->np, 0.0f, dcol, c->np);
    col_ctx ctx = {c, NULL, dcol, gx};
    drift_parallel_for((size_t)c->n * c->cin, grain_for(c->in_hw * c->kh * c->kw), col2im_range,
                       &ctx);
}

/* Gradients from the samples of c; pointers are offset to its first sample.
 * gx, gw, gb are NULL when not wanted. */
static void conv_backward_chunk(drift_graph *g, const conv_geom *c, const float *x, const float *w,
                                float *gout, float *gx, float *gw, float *gb)
{
    float *dy = gout;
    if (c->n > 1) {
        dy = drift_graph_scratch(g, 1, (size_t)c->cout * (size_t)c->np);
        if (!dy)
            return;
        move_all_blocks(c, dy, gout, NULL, false);
    }
    if (gb) {
        rowsum_ctx ctx = {dy, gb, (size_t)c->np};
        drift_parallel_for((size_t)c->cout, grain_for((size_t)c->np), rowsum_range, &ctx);
    }
    if (gw)
        conv_backward_weights(g, c, x, dy, gw);
    if (gx)
        conv_backward_input(g, c, w, dy, gx);
}

/* ---- "same" stride-1 convolutions: direct kernels ---------------------- */

static bool use_direct(const conv_geom *c)
{
    return c->stride == 1 && c->kh % 2 == 1 && c->kw % 2 == 1 && c->pad_h == c->kh / 2 &&
           c->pad_w == c->kw / 2 && c->kh * c->kw <= DRIFT_CONV_SAME_MAX_TAPS &&
           drift_conv_direct_available();
}

static drift_conv_same same_shape(const conv_geom *c, bool transposed)
{
    drift_conv_same s = {c->n, transposed ? c->cout : c->cin, transposed ? c->cin : c->cout,
                         c->h, c->w, c->kh, c->kw};
    return s;
}

typedef struct pack_ctx {
    const drift_conv_same *s;
    const float *w;
    bool transposed;
} pack_ctx;

static void pack_into(void *p, float *dst)
{
    const pack_ctx *pc = p;
    drift_conv_same_pack(pc->s, pc->w, pc->transposed, dst);
}

/* w in the direct kernel's order. Weights that train are packed on every
 * call (into scratch slot 1); fixed ones (sampling, where the graph records
 * no gradients) once per graph. */
static const float *packed_weights(drift_graph *g, const drift_conv_same *s, const drift_tensor *w,
                                   bool transposed)
{
    pack_ctx pc = {s, w->data, transposed};
    size_t floats = drift_conv_same_packed_floats(s);
    if (!drift_graph_grad_enabled(g) || !drift_tensor_needs_grad(w)) {
        int tag = (s->cin * 64 + s->kh * s->kw) * 2 + transposed; /* one packing per layout */
        return drift_graph_derived(g, w->data, w->numel, tag, floats, pack_into, &pc);
    }
    float *wp = drift_graph_scratch(g, 1, floats);
    if (wp)
        pack_into(&pc, wp);
    return wp;
}

static bool direct_forward(drift_graph *g, const conv_geom *c, const float *x, const drift_tensor *w,
                           const float *bias, float *out)
{
    drift_conv_same s = same_shape(c, false);
    const float *wp = packed_weights(g, &s, w, false);
    float *scratch = wp ? drift_graph_scratch(g, 0, drift_conv_same_scratch(&s)) : NULL;
    if (scratch)
        drift_conv_same_forward(&s, x, wp, bias, out, false, scratch);
    return scratch != NULL;
}

typedef struct plane_sum_ctx {
    const conv_geom *c;
    const float *dy; /* (N,Cout,HoWo) */
    float *gb;       /* gb[co] += sum of channel co */
} plane_sum_ctx;

static void plane_sum_range(void *p, size_t begin, size_t end)
{
    plane_sum_ctx *ctx = p;
    const conv_geom *c = ctx->c;
    for (size_t co = begin; co < end; co++) {
        double total = 0;
        for (int n = 0; n < c->n; n++)
            total += sum_floats(ctx->dy + ((size_t)n * c->cout + co) * c->out_hw, c->out_hw);
        ctx->gb[co] += (float)total;
    }
}

/* dW over groups of samples: dY gathered to [Cout, n*HoWo], im2col, GEMM. */
static void weight_grad_im2col(drift_graph *g, const conv_geom *c, const float *x, float *dy,
                               float *gw)
{
    size_t x_step = (size_t)c->cin * c->in_hw, y_step = (size_t)c->cout * c->out_hw;
    int nb = chunk_samples(c);
    for (int n0 = 0; n0 < c->n && drift_graph_status(g) == DRIFT_OK; n0 += nb) {
        conv_geom sub = sub_geometry(c, c->n - n0 < nb ? c->n - n0 : nb);
        float *d = dy + n0 * y_step;
        if (sub.n > 1) {
            d = drift_graph_scratch(g, 1, (size_t)sub.cout * (size_t)sub.np);
            if (!d)
                return;
            move_all_blocks(&sub, d, dy + n0 * y_step, NULL, false);
        }
        conv_backward_weights(g, &sub, x + n0 * x_step, d, gw);
    }
}

/* Gradients of a "same" convolution: db from plane sums; dW by the direct
 * kernel (1x1: one GEMM per sample, no copies; kernel sizes it does not
 * take: im2col and GEMM); dX as the direct convolution of dY with the
 * flipped, transposed kernel. gx, gw, gb are NULL when not wanted. */
static void direct_backward(drift_graph *g, const conv_geom *c, const float *x, const drift_tensor *w,
                            float *dy, float *gx, float *gw, float *gb)
{
    drift_conv_same s = same_shape(c, false);
    if (gb) {
        plane_sum_ctx ctx = {c, dy, gb};
        drift_parallel_for((size_t)c->cout, grain_for((size_t)c->n * c->out_hw), plane_sum_range, &ctx);
    }
    if (gw && c->kh * c->kw == 1) {
        for (int n = 0; n < c->n; n++)
            drift_sgemm(false, true, c->cout, c->cin, (int)c->in_hw, 1.0f,
                        dy + (size_t)n * c->cout * c->out_hw, (int)c->out_hw,
                        x + (size_t)n * c->cin * c->in_hw, (int)c->in_hw, 1.0f, gw, c->cin);
    } else if (gw && drift_conv_same_weight_grad_supported(&s)) {
        float *scratch = drift_graph_scratch(g, 0, drift_conv_same_scratch(&s));
        if (scratch)
            drift_conv_same_weight_grad(&s, x, dy, gw, scratch);
    } else if (gw) {
        weight_grad_im2col(g, c, x, dy, gw);
    }
    drift_conv_same t = same_shape(c, true);
    const float *wp = gx ? packed_weights(g, &t, w, true) : NULL;
    float *scratch = wp ? drift_graph_scratch(g, 0, drift_conv_same_scratch(&t)) : NULL;
    if (scratch)
        drift_conv_same_forward(&t, dy, wp, NULL, gx, true, scratch);
}

static void conv_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *x = node->in[0], *w = node->in[1], *b = node->n_in > 2 ? node->in[2] : NULL;
    conv_geom c;
    if (!conv_geometry(g, x, w, b, node->iarg[0], node->iarg[1], &c))
        return;
    float *gx = drift_tensor_needs_grad(x) ? drift_grad(g, x) : NULL;
    float *gw = drift_tensor_needs_grad(w) ? drift_grad(g, w) : NULL;
    float *gb = drift_tensor_needs_grad(b) ? drift_grad(g, b) : NULL;
    if (use_direct(&c)) {
        direct_backward(g, &c, x->data, w, node->out->grad, gx, gw, gb);
        return;
    }
    size_t x_step = (size_t)c.cin * c.in_hw, y_step = (size_t)c.cout * c.out_hw;
    int nb = chunk_samples(&c);
    for (int n0 = 0; n0 < c.n && drift_graph_status(g) == DRIFT_OK; n0 += nb) {
        conv_geom s = sub_geometry(&c, c.n - n0 < nb ? c.n - n0 : nb);
        conv_backward_chunk(g, &s, x->data + n0 * x_step, w->data, node->out->grad + n0 * y_step,
                            gx ? gx + n0 * x_step : NULL, gw, gb);
    }
}

drift_tensor *drift_conv(drift_graph *g, drift_tensor *x, drift_tensor *w, drift_tensor *b,
                         int stride, int pad)
{
    DRIFT_CHECK_INPUTS(g, x, w);
    conv_geom c;
    if (!conv_geometry(g, x, w, b, stride, pad, &c))
        return NULL;
    int shape[4] = {c.n, c.cout, c.ho, c.wo};
    if (x->ndim == 3)
        shape[2] = c.wo;
    drift_tensor *out = drift_graph_tensor(g, x->ndim, shape);
    if (!out)
        return NULL;
    size_t x_step = (size_t)c.cin * c.in_hw, y_step = (size_t)c.cout * c.out_hw;
    int nb = use_direct(&c) ? 0 : chunk_samples(&c);
    if (!nb && !direct_forward(g, &c, x->data, w, b ? b->data : NULL, out->data))
        return NULL;
    for (int n0 = 0; nb && n0 < c.n; n0 += nb) {
        conv_geom s = sub_geometry(&c, c.n - n0 < nb ? c.n - n0 : nb);
        conv_forward_chunk(g, &s, x->data + n0 * x_step, w->data, b ? b->data : NULL,
                           out->data + n0 * y_step);
        if (drift_graph_status(g) != DRIFT_OK)
            return NULL;
    }
    drift_tensor *in[3] = {x, w, b};
    drift_node *node = drift_graph_record(g, conv_backward, out, b ? 3 : 2, in);
    if (node) {
        node->iarg[0] = stride;
        node->iarg[1] = pad;
    }
    return out;
}
