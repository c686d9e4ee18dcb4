/* op_shape.c: upsampling, concatenation, reshape, token layout and
 * slicing, forward and backward (see op_shape.h).
 *
 * Three movers do all the work: strided blocks (concat, slice, reshape's
 * gradient), a batched tiled transpose (to and from tokens) and the 2x
 * nearest repeat. Each runs in parallel over independent pieces, one
 * writer per output value, so results do not depend on the thread count. */
#include "op_shape.h"

#include "threads.h"

#include <string.h>

#define SHAPE_GRAIN_FLOATS 16384

static size_t grain_for(size_t floats_per_item)
{
    size_t g = SHAPE_GRAIN_FLOATS / (floats_per_item ? floats_per_item : 1);
    return g ? g : 1;
}

/* ---- strided blocks ----------------------------------------------------- */

/* count blocks of len floats: dst + i*dst_stride (+)= src + i*src_stride. */
typedef struct blocks_ctx {
    float *dst;
    const float *src;
    size_t dst_stride, src_stride, len;
    bool add;
} blocks_ctx;

static void blocks_range(void *p, size_t begin, size_t end)
{
    blocks_ctx *c = p;
    for (size_t i = begin; i < end; i++) {
        float *d = c->dst + i * c->dst_stride;
        const float *s = c->src + i * c->src_stride;
        if (c->add)
            for (size_t j = 0; j < c->len; j++)
                d[j] += s[j];
        else
            memcpy(d, s, c->len * sizeof(float));
    }
}

static void move_blocks(float *dst, size_t dst_stride, const float *src, size_t src_stride,
                        size_t len, size_t count, bool add)
{
    blocks_ctx c = {dst, src, dst_stride, src_stride, len, add};
    drift_parallel_for(count, grain_for(len), blocks_range, &c);
}

/* ---- upsample ----------------------------------------------------------- */

/* Planes of rows x cols become (rows*vert) x (2*cols); vert is 2 for 2-D. */
typedef struct upsample_ctx {
    const float *in; /* forward: x; backward: gradient of the output */
    float *out;      /* forward: output; backward: gradient of x (added) */
    size_t rows, cols, vert;
    bool backward;
} upsample_ctx;

static void upsample_plane(const upsample_ctx *c, size_t q)
{
    size_t ow = 2 * c->cols, in_plane = c->rows * c->cols, out_plane = in_plane * 2 * c->vert;
    for (size_t r = 0; r < c->rows; r++) {
        if (!c->backward) {
            const float *src = c->in + q * in_plane + r * c->cols;
            float *dst = c->out + q * out_plane + r * c->vert * ow;
            for (size_t j = 0; j < c->cols; j++)
                dst[2 * j] = dst[2 * j + 1] = src[j];
            if (c->vert == 2)
                memcpy(dst + ow, dst, ow * sizeof(float));
            continue;
        }
        const float *go = c->in + q * out_plane + r * c->vert * ow;
        float *gx = c->out + q * in_plane + r * c->cols;
        for (size_t j = 0; j < c->cols; j++) {
            float s = go[2 * j] + go[2 * j + 1];
            if (c->vert == 2)
                s += go[ow + 2 * j] + go[ow + 2 * j + 1];
            gx[j] += s;
        }
    }
}

static void upsample_range(void *p, size_t begin, size_t end)
{
    for (size_t q = begin; q < end; q++)
        upsample_plane(p, q);
}

static void run_upsample(const drift_tensor *x, const float *in, float *out, bool backward)
{
    upsample_ctx c = {in, out, x->ndim == 4 ? (size_t)x->shape[2] : 1,
                      (size_t)x->shape[x->ndim - 1], x->ndim == 4 ? 2 : 1, backward};
    size_t planes = (size_t)x->shape[0] * (size_t)x->shape[1];
    drift_parallel_for(planes, grain_for(4 * c.rows * c.cols), upsample_range, &c);
}

static void upsample_backward(drift_graph *g, const drift_node *node)
{
    float *gx = drift_grad(g, node->in[0]);
    if (gx)
        run_upsample(node->in[0], node->out->grad, gx, true);
}

drift_tensor *drift_upsample2x(drift_graph *g, drift_tensor *x)
{
    DRIFT_CHECK_INPUTS(g, x);
    if (x->ndim != 3 && x->ndim != 4) {
        char xs[64];
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "upsample2x: input %s must be (N,C,L) or (N,C,H,W)",
                         drift_tensor_shape_str(x, xs, sizeof xs));
        return NULL;
    }
    int shape[4] = {x->shape[0], x->shape[1], 2 * x->shape[2], 2 * x->shape[3]};
    drift_tensor *out = drift_graph_tensor(g, x->ndim, shape);
    if (!out)
        return NULL;
    run_upsample(x, x->data, out->data, false);
    drift_graph_record(g, upsample_backward, out, 1, &x);
    return out;
}

/* ---- concatenation ------------------------------------------------------ */

static void concat_backward(drift_graph *g, const drift_node *node)
{
    const drift_tensor *out = node->out;
    size_t n = (size_t)out->shape[0], out_block = out->numel / n, offset = 0;
    for (int i = 0; i < 2; i++) {
        drift_tensor *part = node->in[i];
        size_t block = part->numel / n;
        float *gp = drift_grad(g, part);
        if (gp)
            move_blocks(gp, block, out->grad + offset, out_block, block, n, true);
        offset += block;
    }
}

static bool concat_shapes_fit(drift_graph *g, const drift_tensor *a, const drift_tensor *b)
{
    bool fit = a->ndim == b->ndim && a->ndim >= 2 && a->shape[0] == b->shape[0];
    for (int d = 2; fit && d < a->ndim; d++)
        fit = a->shape[d] == b->shape[d];
    if (!fit) {
        char as[64], bs[64];
        drift_graph_fail(g, DRIFT_ERR_SHAPE,
                         "concat_channels: %s and %s differ in a dimension other than 1",
                         drift_tensor_shape_str(a, as, sizeof as),
                         drift_tensor_shape_str(b, bs, sizeof bs));
    }
    return fit;
}

drift_tensor *drift_concat_channels(drift_graph *g, drift_tensor *a, drift_tensor *b)
{
    DRIFT_CHECK_INPUTS(g, a, b);
    if (!concat_shapes_fit(g, a, b))
        return NULL;
    int shape[4];
    memcpy(shape, a->shape, sizeof shape);
    shape[1] = a->shape[1] + b->shape[1];
    drift_tensor *out = drift_graph_tensor(g, a->ndim, shape);
    if (!out)
        return NULL;
    size_t n = (size_t)a->shape[0], ab = a->numel / n, bb = b->numel / n;
    move_blocks(out->data, ab + bb, a->data, ab, ab, n, false);
    move_blocks(out->data + ab, ab + bb, b->data, bb, bb, n, false);
    drift_tensor *in[2] = {a, b};
    drift_graph_record(g, concat_backward, out, 2, in);
    return out;
}

/* ---- reshape ------------------------------------------------------------ */

static void add_all_backward(drift_graph *g, const drift_node *node)
{
    float *gx = drift_grad(g, node->in[0]);
    const drift_tensor *out = node->out;
    size_t len = (size_t)out->shape[out->ndim - 1];
    if (gx)
        move_blocks(gx, len, out->grad, len, len, out->numel / len, true);
}

drift_tensor *drift_reshape(drift_graph *g, drift_tensor *x, int ndim, const int *shape)
{
    DRIFT_CHECK_INPUTS(g, x);
    drift_tensor probe;
    char xs[64];
    if (!shape || !drift_tensor_set_shape(&probe, ndim, shape)) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "reshape: target for %s must have 1 to %d dims > 0",
                         drift_tensor_shape_str(x, xs, sizeof xs), DRIFT_MAX_DIMS);
        return NULL;
    }
    if (probe.numel != x->numel) {
        char ps[64];
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "reshape: %s has %zu elements, %s has %zu",
                         drift_tensor_shape_str(x, xs, sizeof xs), x->numel,
                         drift_tensor_shape_str(&probe, ps, sizeof ps), probe.numel);
        return NULL;
    }
    drift_tensor *out = drift_graph_wrap(g, x->data, ndim, shape);
    if (out)
        drift_graph_record(g, add_all_backward, out, 1, &x);
    return out;
}

/* ---- token layout ------------------------------------------------------- */

/* For each of n matrices: dst[j][i] (+)= src[i][j], src [rows, cols]. */
typedef struct transpose_ctx {
    float *dst;
    const float *src;
    size_t rows, cols, tiles_per_matrix;
    bool add;
} transpose_ctx;

#define TILE 32

static void transpose_range(void *p, size_t begin, size_t end)
{
    transpose_ctx *c = p;
    size_t plane = c->rows * c->cols;
    for (size_t t = begin; t < end; t++) {
        size_t m = t / c->tiles_per_matrix, i0 = (t % c->tiles_per_matrix) * TILE;
        size_t i1 = i0 + TILE < c->rows ? i0 + TILE : c->rows;
        const float *s = c->src + m * plane;
        float *d = c->dst + m * plane;
        for (size_t j0 = 0; j0 < c->cols; j0 += TILE) {
            size_t j1 = j0 + TILE < c->cols ? j0 + TILE : c->cols;
            for (size_t j = j0; j < j1; j++)
                for (size_t i = i0; i < i1; i++) {
                    float v = s[i * c->cols + j];
                    d[j * c->rows + i] = c->add ? d[j * c->rows + i] + v : v;
                }
        }
    }
}

static void transpose(float *dst, const float *src, size_t n, size_t rows, size_t cols, bool add)
{
    size_t tiles = (rows + TILE - 1) / TILE;
    transpose_ctx c = {dst, src, rows, cols, tiles, add};
    drift_parallel_for(n * tiles, grain_for(TILE * cols), transpose_range, &c);
}

/* out[n] = in[n]^T with in[n] of [iarg0, iarg1]: the gradient transposes back. */
static void transpose_backward(drift_graph *g, const drift_node *node)
{
    float *gx = drift_grad(g, node->in[0]);
    const drift_tensor *out = node->out;
    if (gx)
        transpose(gx, out->grad, (size_t)out->shape[0], (size_t)node->iarg[1],
                  (size_t)node->iarg[0], true);
}

/* x viewed as (N, rows, cols) -> out (N, cols, rows) with the given shape. */
static drift_tensor *transposed(drift_graph *g, drift_tensor *x, int rows, int cols, int ndim,
                                const int *shape)
{
    drift_tensor *out = drift_graph_tensor(g, ndim, shape);
    if (!out)
        return NULL;
    transpose(out->data, x->data, (size_t)x->shape[0], (size_t)rows, (size_t)cols, false);
    drift_node *node = drift_graph_record(g, transpose_backward, out, 1, &x);
    if (node) {
        node->iarg[0] = rows;
        node->iarg[1] = cols;
    }
    return out;
}

drift_tensor *drift_to_tokens(drift_graph *g, drift_tensor *x)
{
    DRIFT_CHECK_INPUTS(g, x);
    if (x->ndim != 3 && x->ndim != 4) {
        char xs[64];
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "to_tokens: input %s must be (N,C,L) or (N,C,H,W)",
                         drift_tensor_shape_str(x, xs, sizeof xs));
        return NULL;
    }
    int c = x->shape[1], p = (int)drift_tensor_inner(x, 2);
    int shape[3] = {x->shape[0], p, c};
    return transposed(g, x, c, p, 3, shape);
}

drift_tensor *drift_from_tokens(drift_graph *g, drift_tensor *t, int ndim, const int *shape)
{
    DRIFT_CHECK_INPUTS(g, t);
    char ts[64];
    drift_tensor_shape_str(t, ts, sizeof ts);
    drift_tensor probe;
    if (!shape || (ndim != 3 && ndim != 4) || !drift_tensor_set_shape(&probe, ndim, shape)) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE,
                         "from_tokens: target for %s must be (N,C,L) or (N,C,H,W) with dims > 0", ts);
        return NULL;
    }
    if (t->ndim != 3 || shape[0] != t->shape[0] || shape[1] != t->shape[2] ||
        drift_tensor_inner(&probe, 2) != (size_t)t->shape[1]) {
        char ps[64];
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "from_tokens: tokens %s do not fit shape %s", ts,
                         drift_tensor_shape_str(&probe, ps, sizeof ps));
        return NULL;
    }
    return transposed(g, t, t->shape[1], t->shape[2], ndim, shape);
}

/* ---- slicing ------------------------------------------------------------ */

static void slice_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *x = node->in[0];
    float *gx = drift_grad(g, x);
    size_t d = (size_t)x->shape[x->ndim - 1], len = (size_t)node->iarg[1];
    if (gx)
        move_blocks(gx + node->iarg[0], d, node->out->grad, len, len, x->numel / d, true);
}

drift_tensor *drift_slice_last(drift_graph *g, drift_tensor *x, int start, int len)
{
    DRIFT_CHECK_INPUTS(g, x);
    int d = x->shape[x->ndim - 1];
    if (start < 0 || len < 1 || start > d - len) {
        char xs[64];
        drift_graph_fail(g, DRIFT_ERR_ARG, "slice_last: [%d, %d+%d) is not inside the last dim of %s",
                         start, start, len, drift_tensor_shape_str(x, xs, sizeof xs));
        return NULL;
    }
    int shape[4];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = len;
    drift_tensor *out = drift_graph_tensor(g, x->ndim, shape);
    if (!out)
        return NULL;
    move_blocks(out->data, (size_t)len, x->data + start, (size_t)d, (size_t)len,
                x->numel / (size_t)d, false);
    drift_node *node = drift_graph_record(g, slice_backward, out, 1, &x);
    if (node) {
        node->iarg[0] = start;
        node->iarg[1] = len;
    }
    return out;
}
