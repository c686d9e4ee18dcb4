/* op_pool.c: global average pooling (see op_pool.h). Each (sample,
 * channel) row is reduced by one thread in a fixed order, so results do
 * not depend on the thread count. */
#include "op_pool.h"

#include "op_elem.h"
#include "threads.h"

typedef struct {
    size_t positions;
    const float *src; /* forward: x; backward: gradient of the output */
    float *dst;       /* forward: pooled rows; backward: gradient of x */
} pool_job;

static void pool_forward_range(void *p, size_t lo, size_t hi)
{
    const pool_job *j = p;
    for (size_t r = lo; r < hi; r++)
        j->dst[r] = (float)(drift_dot_double(j->src + r * j->positions, NULL, j->positions) /
                            (double)j->positions);
}

static void pool_backward_range(void *p, size_t lo, size_t hi)
{
    const pool_job *j = p;
    for (size_t r = lo; r < hi; r++) {
        float share = j->src[r] / (float)j->positions;
        float *gx = j->dst + r * j->positions;
        for (size_t i = 0; i < j->positions; i++)
            gx[i] += share;
    }
}

/* Rows per parallel range so that each range touches >= ~16k values. */
static size_t pool_grain(size_t positions)
{
    return positions >= 16384 ? 1 : 16384 / positions;
}

static void pool_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *x = node->in[0];
    float *gx = drift_grad(g, x);
    if (!gx)
        return;
    size_t positions = drift_tensor_inner(x, 2);
    pool_job j = {positions, node->out->grad, gx};
    drift_parallel_for(node->out->numel, pool_grain(positions), pool_backward_range, &j);
}

drift_tensor *drift_global_avg_pool(drift_graph *g, drift_tensor *x)
{
    DRIFT_CHECK_INPUTS(g, x);
    if (x->ndim != 3 && x->ndim != 4) {
        char s[64];
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "drift_global_avg_pool: x %s is not (N,C,L) or (N,C,H,W)",
                         drift_tensor_shape_str(x, s, sizeof s));
        return NULL;
    }
    int shape[2] = {x->shape[0], x->shape[1]};
    drift_tensor *y = drift_graph_tensor(g, 2, shape);
    if (!y)
        return NULL;
    size_t positions = drift_tensor_inner(x, 2);
    pool_job j = {positions, x->data, y->data};
    drift_parallel_for(y->numel, pool_grain(positions), pool_forward_range, &j);
    drift_graph_record(g, pool_backward, y, 1, &x);
    return y;
}
