/* op_conv.c: convolution as one matrix product over the whole batch.
 *
 * Forward: im2col writes the input patches of all N samples into one
 * column matrix col[Cin*KH*KW, N*Ho*Wo] (scratch slot 0); one GEMM
 * Y[Cout, N*Ho*Wo] = W[Cout, Cin*KH*KW] x col (scratch slot 1); a scatter
 * moves Y into NCHW order and adds the bias. With N = 1, Y already is the
 * output; with a 1x1 kernel, stride 1 and no padding as well, col is x.
 *
 * Backward: dY is gathered back to [Cout, N*Ho*Wo]; db = row sums of dY;
 * dW += dY x col^T with col recomputed (cheaper in memory than keeping it);
 * dcol = W^T x dY, then col2im adds dcol into dx.
 *
 * The copy loops run in parallel over rows of col, over (n, c) planes or
 * over (c, n) blocks; every output value is written by one thread in a
 * fixed order, so results do not depend on the thread count. */
#include "op_conv.h"

#include "blas.h"
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

/* ---- im2col and col2im ----------------------------------------------- */

typedef struct col_ctx {
    const conv_geom *c;
    const float *x; /* (N,Cin,H,W) */
    float *col;     /* [K, NP] */
    float *dx;      /* (N,Cin,H,W), col2im adds here */
} col_ctx;

/* One row of col: input channel ch at kernel offset (ki, kj), all samples. */
static void im2col_row(const conv_geom *c, const float *x, float *dst, int ch, int ki, int kj)
{
    int lo, hi, s = c->stride;
    valid_cols(c, kj, &lo, &hi);
    for (int n = 0; n < c->n; n++) {
        const float *plane = x + ((size_t)n * c->cin + ch) * c->in_hw;
        for (int oh = 0; oh < c->ho; oh++, dst += c->wo) {
            int ih = oh * s - c->pad_h + ki;
            if (ih < 0 || ih >= c->h || lo == hi) {
                memset(dst, 0, (size_t)c->wo * sizeof(float));
                continue;
            }
            const float *src = plane + (size_t)ih * c->w + (lo * s - c->pad_w + kj);
            memset(dst, 0, (size_t)lo * sizeof(float));
            if (s == 1)
                memcpy(dst + lo, src, (size_t)(hi - lo) * sizeof(float));
            else
                for (int ow = lo; ow < hi; ow++)
                    dst[ow] = src[(size_t)(ow - lo) * s];
            memset(dst + hi, 0, (size_t)(c->wo - hi) * sizeof(float));
        }
    }
}

static void im2col_range(void *p, size_t begin, size_t end)
{
    col_ctx *ctx = p;
    const conv_geom *c = ctx->c;
    for (size_t r = begin; r < end; r++) {
        int kj = (int)(r % (size_t)c->kw);
        int ki = (int)((r / (size_t)c->kw) % (size_t)c->kh);
        int ch = (int)(r / ((size_t)c->kw * c->kh));
        im2col_row(c, ctx->x, ctx->col + r * (size_t)c->np, ch, ki, kj);
    }
}

/* Adds the column entries of plane (n, ch) back into dx: the adjoint of im2col. */
static void col2im_plane(const conv_geom *c, const float *col, float *plane, int n, int ch)
{
    int s = c->stride;
    for (int ki = 0; ki < c->kh; ki++)
        for (int kj = 0; kj < c->kw; kj++) {
            int lo, hi;
            valid_cols(c, kj, &lo, &hi);
            size_t r = ((size_t)ch * c->kh + ki) * c->kw + kj;
            const float *src = col + r * (size_t)c->np + (size_t)n * c->out_hw;
            for (int oh = 0; oh < c->ho; oh++) {
                int ih = oh * s - c->pad_h + ki;
                if (ih < 0 || ih >= c->h)
                    continue;
                float *dst = plane + (size_t)ih * c->w + (lo * s - c->pad_w + kj);
                const float *row = src + (size_t)oh * c->wo;
                for (int ow = lo; ow < hi; ow++)
                    dst[(size_t)(ow - lo) * s] += row[ow];
            }
        }
}

static void col2im_range(void *p, size_t begin, size_t end)
{
    col_ctx *ctx = p;
    const conv_geom *c = ctx->c;
    for (size_t q = begin; q < end; q++)
        col2im_plane(c, ctx->col, ctx->dx + q * c->in_hw, (int)(q / (size_t)c->cin),
                     (int)(q % (size_t)c->cin));
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
            for (size_t i = 0; i < hw; i++)
                t[i] += ctx->bias[co];
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
        const float *row = ctx->mat + r * ctx->cols;
        double s = 0;
        for (size_t i = 0; i < ctx->cols; i++)
            s += row[i];
        ctx->out[r] += (float)s;
    }
}

static void conv_backward_weights(drift_graph *g, const conv_geom *c, const drift_tensor *x,
                                  const float *dy, float *gw)
{
    const float *col = make_col(g, c, x->data);
    if (col)
        drift_sgemm(false, true, c->cout, c->k, c->np, 1.0f, dy, c->np, col, c->np, 1.0f, gw,
                    c->k);
}

static void conv_backward_input(drift_graph *g, const conv_geom *c, const drift_tensor *w,
                                const float *dy, float *gx)
{
    if (is_pointwise(c) && c->n == 1) {
        drift_sgemm(true, false, c->k, c->np, c->cout, 1.0f, w->data, c->k, dy, c->np, 1.0f, gx,
                    c->np);
        return;
    }
    float *dcol = drift_graph_scratch(g, 0, (size_t)c->k * (size_t)c->np);
    if (!dcol)
        return;
    drift_sgemm(true, false, c->k, c->np, c->cout, 1.0f, w->data, c->k, dy, c->np, 0.0f, dcol,
                c->np);
    col_ctx ctx = {c, NULL, dcol, gx};
    drift_parallel_for((size_t)c->n * c->cin, grain_for(c->in_hw * c->kh * c->kw), col2im_range,
                       &ctx);
}

static void conv_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *x = node->in[0], *w = node->in[1], *b = node->n_in > 2 ? node->in[2] : NULL;
    conv_geom c;
    if (!conv_geometry(g, x, w, b, node->iarg[0], node->iarg[1], &c))
        return;
    float *dy = node->out->grad;
    if (c.n > 1) {
        dy = drift_graph_scratch(g, 1, (size_t)c.cout * (size_t)c.np);
        if (!dy)
            return;
        move_all_blocks(&c, dy, node->out->grad, NULL, false);
    }
    if (drift_tensor_needs_grad(b)) {
        float *gb = drift_grad(g, b);
        rowsum_ctx ctx = {dy, gb, (size_t)c.np};
        if (gb)
            drift_parallel_for((size_t)c.cout, grain_for((size_t)c.np), rowsum_range, &ctx);
    }
    if (drift_tensor_needs_grad(w)) {
        float *gw = drift_grad(g, w);
        if (gw)
            conv_backward_weights(g, &c, x, dy, gw);
    }
    if (drift_tensor_needs_grad(x)) {
        float *gx = drift_grad(g, x);
        if (gx)
            conv_backward_input(g, &c, w, dy, gx);
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
    const float *col = make_col(g, &c, x->data);
    float *y = c.n == 1 ? out->data : drift_graph_scratch(g, 1, (size_t)c.cout * (size_t)c.np);
    if (!col || !y)
        return NULL;
    drift_sgemm(false, false, c.cout, c.np, c.k, 1.0f, w->data, c.k, col, c.np, 0.0f, y, c.np);
    move_all_blocks(&c, y, out->data, b ? b->data : NULL, true);
    drift_tensor *in[3] = {x, w, b};
    drift_node *node = drift_graph_record(g, conv_backward, out, b ? 3 : 2, in);
    if (node) {
        node->iarg[0] = stride;
        node->iarg[1] = pad;
    }
    return out;
}
