/* op_attn.c: multi-head scaled dot-product attention (see op_attn.h).
 *
 * Per (sample, head), the score and value products are drift_sgemm calls on
 * strided column blocks of q, k and v (a head is D/heads consecutive
 * features, so lda = D). The softmax and its backward run over all rows
 * at once with drift_parallel_for, between the BLAS calls and never around
 * them. The probabilities are saved for backward; masked keys get
 * probability 0, which is all backward needs to know about the mask. */
#include "op_attn.h"

#include <math.h>
#include <string.h>

#include "blas.h"
#include "op_elem.h"
#include "threads.h"

typedef struct {
    int batch, heads, lq, lk, dim;
    float scale;       /* 1 / sqrt(D / heads) */
    const float *mask; /* (N, Lk) or NULL */
    float *p;          /* (N, heads, Lq, Lk) probabilities */
    float *dp;         /* backward: d(loss)/dP in, d(loss)/d(scores) out */
} attn_job;

static size_t rows_grain(int lk) { return lk >= 4096 ? 1 : (size_t)(4096 / lk); }

/* Loops over a row run in fixed-length blocks so that they vectorise. */
#define ROW_BLOCK 16

/* row[i] = e^(row[i] - top), zero where the key is masked. */
static void exp_row(float *restrict row, const float *restrict m, float top, size_t lk)
{
    size_t i = 0;
    for (; i + ROW_BLOCK <= lk; i += ROW_BLOCK)
        for (int k = 0; k < ROW_BLOCK; k++)
            row[i + k] = drift_fast_expf(row[i + k] - top);
    for (; i < lk; i++)
        row[i] = drift_fast_expf(row[i] - top);
    if (!m)
        return;
    for (i = 0; i + ROW_BLOCK <= lk; i += ROW_BLOCK)
        for (int k = 0; k < ROW_BLOCK; k++)
            row[i + k] = drift_select_f(m[i + k] == 0.0f, row[i + k], 0.0f);
    for (; i < lk; i++)
        row[i] = drift_select_f(m[i] == 0.0f, row[i], 0.0f);
}

/* The largest score among the keys attended to; -inf if there are none. */
static float row_max(const float *restrict row, const float *restrict m, size_t lk)
{
    float lane[ROW_BLOCK], top = -INFINITY;
    for (int k = 0; k < ROW_BLOCK; k++)
        lane[k] = -INFINITY;
    size_t i = 0;
    for (; m && i + ROW_BLOCK <= lk; i += ROW_BLOCK)
        for (int k = 0; k < ROW_BLOCK; k++) {
            float v = drift_select_f(m[i + k] == 0.0f, row[i + k], -INFINITY);
            lane[k] = drift_select_f(v > lane[k], lane[k], v);
        }
    for (; !m && i + ROW_BLOCK <= lk; i += ROW_BLOCK)
        for (int k = 0; k < ROW_BLOCK; k++)
            lane[k] = drift_select_f(row[i + k] > lane[k], lane[k], row[i + k]);
    for (; i < lk; i++)
        if ((!m || m[i] != 0.0f) && row[i] > top)
            top = row[i];
    for (int k = 0; k < ROW_BLOCK; k++)
        top = lane[k] > top ? lane[k] : top;
    return top;
}

static void scale_row(float *restrict row, float s, size_t n)
{
    size_t i = 0;
    for (; i + ROW_BLOCK <= n; i += ROW_BLOCK)
        for (int k = 0; k < ROW_BLOCK; k++)
            row[i + k] *= s;
    for (; i < n; i++)
        row[i] *= s;
}

/* Scores to probabilities in place, row by row; a row with no key to
 * attend to becomes zeros. */
static void softmax_range(void *ctx, size_t lo, size_t hi)
{
    const attn_job *j = ctx;
    size_t rows_per_sample = (size_t)j->heads * (size_t)j->lq, lk = (size_t)j->lk;
    for (size_t r = lo; r < hi; r++) {
        float *row = j->p + r * lk;
        const float *m = j->mask ? j->mask + (r / rows_per_sample) * lk : NULL;
        float top = row_max(row, m, lk);
        if (top == -INFINITY) {
            memset(row, 0, lk * sizeof *row);
            continue;
        }
        exp_row(row, m, top, lk);
        scale_row(row, (float)(1.0 / drift_dot_double(row, NULL, lk)), lk);
    }
}

/* dS = P * (dP - sum(P * dP)) row by row, in place in dp. */
static void softmax_backward_range(void *ctx, size_t lo, size_t hi)
{
    const attn_job *j = ctx;
    size_t lk = (size_t)j->lk;
    for (size_t r = lo; r < hi; r++) {
        const float *restrict p = j->p + r * lk;
        float *restrict d = j->dp + r * lk;
        float dot = (float)drift_dot_double(p, d, lk);
        size_t i = 0;
        for (; i + ROW_BLOCK <= lk; i += ROW_BLOCK)
            for (int k = 0; k < ROW_BLOCK; k++)
                d[i + k] = p[i + k] * (d[i + k] - dot);
        for (; i < lk; i++)
            d[i] = p[i] * (d[i] - dot);
    }
}

/* Offsets of sample n, head h in a (N,L,D) tensor and in the (N,H,Lq,Lk) buffer. */
static size_t seq_off(const attn_job *j, int n, int len, int h)
{
    return (size_t)n * (size_t)len * (size_t)j->dim + (size_t)h * (size_t)(j->dim / j->heads);
}

static size_t prob_off(const attn_job *j, int n, int h)
{
    return ((size_t)n * (size_t)j->heads + (size_t)h) * (size_t)j->lq * (size_t)j->lk;
}

static void attn_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *q = node->in[0], *k = node->in[1], *v = node->in[2];
    attn_job j = {q->shape[0], node->iarg[0], q->shape[1], k->shape[1], q->shape[2], 0, NULL,
                  node->ctx, NULL};
    j.scale = 1.0f / sqrtf((float)(j.dim / j.heads));
    int dh = j.dim / j.heads, D = j.dim;
    const float *go = node->out->grad;
    float *gq = drift_grad(g, q), *gk = drift_grad(g, k), *gv = drift_grad(g, v);
    size_t rows = (size_t)j.batch * (size_t)j.heads * (size_t)j.lq;
    if (gq || gk)
        j.dp = drift_graph_scratch(g, 0, rows * (size_t)j.lk);
    if ((gq || gk) && !j.dp)
        return;
    for (int n = 0; n < j.batch; n++)
        for (int h = 0; h < j.heads; h++) {
            const float *p = j.p + prob_off(&j, n, h), *gon = go + seq_off(&j, n, j.lq, h);
            if (gv) /* dV = P^T dO */
                drift_sgemm(true, false, j.lk, dh, j.lq, 1.0f, p, j.lk, gon, D, 1.0f,
                            gv + seq_off(&j, n, j.lk, h), D);
            if (j.dp) /* dP = dO V^T */
                drift_sgemm(false, true, j.lq, j.lk, dh, 1.0f, gon, D, v->data + seq_off(&j, n, j.lk, h),
                            D, 0.0f, j.dp + prob_off(&j, n, h), j.lk);
        }
    if (!j.dp)
        return;
    drift_parallel_for(rows, rows_grain(j.lk), softmax_backward_range, &j);
    for (int n = 0; n < j.batch; n++)
        for (int h = 0; h < j.heads; h++) {
            const float *ds = j.dp + prob_off(&j, n, h);
            if (gq) /* dQ = scale * dS K */
                drift_sgemm(false, false, j.lq, dh, j.lk, j.scale, ds, j.lk,
                            k->data + seq_off(&j, n, j.lk, h), D, 1.0f, gq + seq_off(&j, n, j.lq, h), D);
            if (gk) /* dK = scale * dS^T Q */
                drift_sgemm(true, false, j.lk, dh, j.lq, j.scale, ds, j.lk,
                            q->data + seq_off(&j, n, j.lq, h), D, 1.0f, gk + seq_off(&j, n, j.lk, h), D);
        }
}

static bool attn_check(drift_graph *g, const drift_tensor *q, const drift_tensor *k,
                       const drift_tensor *v, int heads, const drift_tensor *mask)
{
    char sq[64], sk[64], sv[64], sm[64];
    drift_tensor_shape_str(q, sq, sizeof sq);
    drift_tensor_shape_str(k, sk, sizeof sk);
    drift_tensor_shape_str(v, sv, sizeof sv);
    if (q->ndim != 3 || k->ndim != 3 || !drift_tensor_same_shape(k, v) || k->shape[0] != q->shape[0] ||
        k->shape[2] != q->shape[2]) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE,
                         "drift_attention: q %s, k %s, v %s must be (N,Lq,D), (N,Lk,D), (N,Lk,D)", sq,
                         sk, sv);
        return false;
    }
    if (heads <= 0 || q->shape[2] % heads != 0) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "drift_attention: %d heads do not divide D = %d", heads,
                         q->shape[2]);
        return false;
    }
    if (mask && (mask->ndim != 2 || mask->shape[0] != q->shape[0] || mask->shape[1] != k->shape[1])) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "drift_attention: key_mask %s must be (N,Lk) = (%d,%d)",
                         drift_tensor_shape_str(mask, sm, sizeof sm), q->shape[0], k->shape[1]);
        return false;
    }
    return true;
}

drift_tensor *drift_attention(drift_graph *g, drift_tensor *q, drift_tensor *k, drift_tensor *v,
                              int heads, drift_tensor *key_mask)
{
    DRIFT_CHECK_INPUTS(g, q, k, v);
    if (!attn_check(g, q, k, v, heads, key_mask))
        return NULL;
    attn_job j = {q->shape[0], heads, q->shape[1], k->shape[1], q->shape[2], 0,
                  key_mask ? key_mask->data : NULL, NULL, NULL};
    j.scale = 1.0f / sqrtf((float)(j.dim / heads));
    int dh = j.dim / heads, D = j.dim;
    size_t rows = (size_t)j.batch * (size_t)heads * (size_t)j.lq;
    bool keep = drift_graph_grad_enabled(g) &&
                (drift_tensor_needs_grad(q) || drift_tensor_needs_grad(k) || drift_tensor_needs_grad(v));
    j.p = keep ? drift_graph_alloc(g, rows * (size_t)j.lk * sizeof(float))
               : drift_graph_scratch(g, 0, rows * (size_t)j.lk);
    drift_tensor *out = j.p ? drift_graph_tensor(g, 3, q->shape) : NULL;
    if (!out)
        return NULL;
    for (int n = 0; n < j.batch; n++)
        for (int h = 0; h < heads; h++) /* S = scale * Q K^T */
            drift_sgemm(false, true, j.lq, j.lk, dh, j.scale, q->data + seq_off(&j, n, j.lq, h), D,
                        k->data + seq_off(&j, n, j.lk, h), D, 0.0f, j.p + prob_off(&j, n, h), j.lk);
    drift_parallel_for(rows, rows_grain(j.lk), softmax_range, &j);
    for (int n = 0; n < j.batch; n++)
        for (int h = 0; h < heads; h++) /* O = P V */
            drift_sgemm(false, false, j.lq, dh, j.lk, 1.0f, j.p + prob_off(&j, n, h), j.lk,
                        v->data + seq_off(&j, n, j.lk, h), D, 0.0f, out->data + seq_off(&j, n, j.lq, h), D);
    drift_tensor *in[3] = {q, k, v};
    drift_node *node = drift_graph_record(g, attn_backward, out, 3, in);
    if (node) {
        node->ctx = j.p;
        node->iarg[0] = heads;
    }
    return out;
}
