/* op_linear.c: y = x W^T + b as one GEMM over all leading rows of x.
 *
 * Forward: y rows start as the bias, then one GEMM adds x W^T.
 * Backward: dx += dy W, dW += dy^T x (both GEMMs accumulating in place),
 * db += column sums of dy. */
#include "op_linear.h"

#include "blas.h"
#include "threads.h"

#include <limits.h>
#include <string.h>

typedef struct linear_rows_ctx {
    float *y;           /* [rows, out] */
    const float *dy;    /* [rows, out], for the bias gradient */
    const float *bias;  /* [out] */
    float *gb;          /* [out] */
    size_t rows, out;
} linear_rows_ctx;

/* Rows of y set to the bias. */
static void fill_bias_range(void *p, size_t begin, size_t end)
{
    linear_rows_ctx *ctx = p;
    for (size_t r = begin; r < end; r++)
        memcpy(ctx->y + r * ctx->out, ctx->bias, ctx->out * sizeof(float));
}

/* Columns [begin, end) of dy summed over all rows into gb, in blocks of
 * columns so rows are read contiguously. */
#define BIAS_BLOCK 64
static void bias_grad_range(void *p, size_t begin, size_t end)
{
    linear_rows_ctx *ctx = p;
    double acc[BIAS_BLOCK];
    for (size_t o0 = begin; o0 < end; o0 += BIAS_BLOCK) {
        size_t width = end - o0 < BIAS_BLOCK ? end - o0 : BIAS_BLOCK;
        memset(acc, 0, sizeof acc);
        for (size_t r = 0; r < ctx->rows; r++) {
            const float *row = ctx->dy + r * ctx->out + o0;
            for (size_t j = 0; j < width; j++)
                acc[j] += row[j];
        }
        for (size_t j = 0; j < width; j++)
            ctx->gb[o0 + j] += (float)acc[j];
    }
}

static size_t rows_of(const drift_tensor *x)
{
    return x->numel / (size_t)x->shape[x->ndim - 1];
}

static void linear_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *x = node->in[0], *w = node->in[1], *b = node->n_in > 2 ? node->in[2] : NULL;
    int out = w->shape[0], in = w->shape[1], rows = (int)rows_of(x);
    const float *dy = node->out->grad;
    if (drift_tensor_needs_grad(b)) {
        linear_rows_ctx ctx = {.dy = dy, .gb = drift_grad(g, b), .rows = (size_t)rows,
                               .out = (size_t)out};
        if (ctx.gb)
            drift_parallel_for((size_t)out, BIAS_BLOCK, bias_grad_range, &ctx);
    }
    if (drift_tensor_needs_grad(w)) {
        float *gw = drift_grad(g, w);
        if (gw)
            drift_sgemm(true, false, out, in, rows, 1.0f, dy, out, x->data, in, 1.0f, gw, in);
    }
    if (drift_tensor_needs_grad(x)) {
        float *gx = drift_grad(g, x);
        if (gx)
            drift_sgemm(false, false, rows, in, out, 1.0f, dy, out, w->data, in, 1.0f, gx, in);
    }
}

static bool linear_shapes_fit(drift_graph *g, const drift_tensor *x, const drift_tensor *w,
                              const drift_tensor *b)
{
    char xs[64], ws[64];
    drift_tensor_shape_str(x, xs, sizeof xs);
    drift_tensor_shape_str(w, ws, sizeof ws);
    if (x->ndim < 2) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "linear: input %s needs at least one leading dim", xs);
        return false;
    }
    if (w->ndim != 2) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "linear: weight %s must be (OUT,IN)", ws);
        return false;
    }
    if (x->shape[x->ndim - 1] != w->shape[1]) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "linear: input has %d features but weight expects %d",
                         x->shape[x->ndim - 1], w->shape[1]);
        return false;
    }
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0])) {
        drift_tensor_shape_str(b, xs, sizeof xs);
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "linear: bias %s must be (%d) for weight %s", xs,
                         w->shape[0], ws);
        return false;
    }
    if (rows_of(x) > INT_MAX) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "linear: input %s has too many rows", xs);
        return false;
    }
    return true;
}

drift_tensor *drift_linear(drift_graph *g, drift_tensor *x, drift_tensor *w, drift_tensor *b)
{
    DRIFT_CHECK_INPUTS(g, x, w);
    if (!linear_shapes_fit(g, x, w, b))
        return NULL;
    int shape[4];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = w->shape[0];
    drift_tensor *y = drift_graph_tensor(g, x->ndim, shape);
    if (!y)
        return NULL;
    int out = w->shape[0], in = w->shape[1], rows = (int)rows_of(x);
    if (b) {
        linear_rows_ctx ctx = {.y = y->data, .bias = b->data, .rows = (size_t)rows,
                               .out = (size_t)out};
        size_t grain = 16384 / (size_t)out + 1;
        drift_parallel_for((size_t)rows, grain, fill_bias_range, &ctx);
    }
    drift_sgemm(false, true, rows, out, in, 1.0f, x->data, in, w->data, in, b ? 1.0f : 0.0f,
                y->data, out);
    drift_tensor *inputs[3] = {x, w, b};
    drift_graph_record(g, linear_backward, y, b ? 3 : 2, inputs);
    return y;
}
