/* op_embed.c: timestep embedding and table lookup (see op_embed.h). */
#include "op_embed.h"

#include <math.h>
#include <string.h>

drift_tensor *drift_timestep_embedding(drift_graph *g, const float *t, int n, int dim,
                                       float max_period)
{
    if (drift_graph_status(g) != DRIFT_OK)
        return NULL;
    if (!t || n <= 0) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "drift_timestep_embedding: needs n > 0 timesteps, got %d%s",
                         n, t ? "" : " and no array");
        return NULL;
    }
    if (dim <= 0 || dim % 2 != 0) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "drift_timestep_embedding: dim %d must be even and > 0", dim);
        return NULL;
    }
    if (!(max_period > 0.0f) || !isfinite(max_period)) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "drift_timestep_embedding: max_period %g must be > 0",
                         (double)max_period);
        return NULL;
    }
    for (int r = 0; r < n; r++)
        if (!isfinite(t[r])) {
            drift_graph_fail(g, DRIFT_ERR_NUMERIC, "drift_timestep_embedding: timestep %d is %g", r,
                             (double)t[r]);
            return NULL;
        }
    int shape[2] = {n, dim}, half = dim / 2;
    drift_tensor *out = drift_graph_tensor(g, 2, shape);
    if (!out)
        return NULL;
    double log_period = log((double)max_period);
    for (int i = 0; i < half; i++) {
        double freq = exp(-log_period * i / half);
        for (int r = 0; r < n; r++) {
            double arg = (double)t[r] * freq;
            out->data[(size_t)r * (size_t)dim + (size_t)i] = (float)cos(arg);
            out->data[(size_t)r * (size_t)dim + (size_t)(half + i)] = (float)sin(arg);
        }
    }
    return out;
}

typedef struct {
    int n;
    int *ids; /* copied: the caller's array may change before backward */
} embed_ctx;

static void embed_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *table = node->in[0];
    float *gt = drift_grad(g, table);
    const embed_ctx *c = node->ctx;
    if (!gt)
        return;
    size_t d = (size_t)table->shape[1];
    for (int r = 0; r < c->n; r++) {
        if (c->ids[r] < 0)
            continue;
        float *dst = gt + (size_t)c->ids[r] * d;
        const float *src = node->out->grad + (size_t)r * d;
        for (size_t i = 0; i < d; i++)
            dst[i] += src[i];
    }
}

static bool embed_check(drift_graph *g, const drift_tensor *table, const int *ids, int n)
{
    char st[64];
    if (table->ndim != 2) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "drift_embedding: table %s must be (V,D)",
                         drift_tensor_shape_str(table, st, sizeof st));
        return false;
    }
    if (!ids || n <= 0) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "drift_embedding: needs n > 0 ids, got %d%s", n,
                         ids ? "" : " and no array");
        return false;
    }
    for (int r = 0; r < n; r++)
        if (ids[r] < -1 || ids[r] >= table->shape[0]) {
            drift_graph_fail(g, DRIFT_ERR_ARG,
                             "drift_embedding: id %d at position %d is outside [0, %d) (or -1 for padding)",
                             ids[r], r, table->shape[0]);
            return false;
        }
    return true;
}

drift_tensor *drift_embedding(drift_graph *g, drift_tensor *table, const int *ids, int n)
{
    DRIFT_CHECK_INPUTS(g, table);
    if (!embed_check(g, table, ids, n))
        return NULL;
    int shape[2] = {n, table->shape[1]};
    size_t d = (size_t)table->shape[1];
    drift_tensor *out = drift_graph_tensor(g, 2, shape);
    if (!out)
        return NULL;
    for (int r = 0; r < n; r++) {
        float *dst = out->data + (size_t)r * d;
        if (ids[r] < 0)
            memset(dst, 0, d * sizeof *dst);
        else
            memcpy(dst, table->data + (size_t)ids[r] * d, d * sizeof *dst);
    }
    drift_node *node = drift_graph_record(g, embed_backward, out, 1, &table);
    if (node) {
        embed_ctx *c = drift_graph_alloc(g, sizeof *c);
        int *saved = drift_graph_alloc(g, (size_t)n * sizeof *saved);
        if (!c || !saved)
            return NULL;
        memcpy(saved, ids, (size_t)n * sizeof *saved);
        c->n = n;
        c->ids = saved;
        node->ctx = c;
    }
    return out;
}
