/* op_loss.c: the weighted mean squared error (see op_loss.h).
 *
 * Each sample is cut into fixed blocks whose squared-error sums (in
 * double) are computed in parallel and added up in block order, so the
 * loss does not depend on the thread count. */
#include "op_loss.h"

#include <math.h>
#include <string.h>

#include "threads.h"

#define LOSS_BLOCK 4096

typedef struct {
    size_t per_sample, blocks; /* elements per sample, blocks per sample */
    const float *pred, *target;
    double *partial;           /* forward: (N, blocks) sums of squares */
    const float *coef;         /* backward: (N) d(loss)/d(sq. error) * 2 */
    float *gp, *gt;            /* backward: gradients or NULL */
} mse_job;

static void block_range(const mse_job *j, size_t b, size_t *lo, size_t *hi)
{
    size_t n = b / j->blocks, k = b % j->blocks;
    *lo = n * j->per_sample + k * LOSS_BLOCK;
    *hi = k + 1 == j->blocks ? (n + 1) * j->per_sample : *lo + LOSS_BLOCK;
}

static void mse_forward_range(void *p, size_t lo, size_t hi)
{
    const mse_job *j = p;
    enum { LANES = 8 };
    for (size_t b = lo; b < hi; b++) {
        size_t i, end;
        block_range(j, b, &i, &end);
        double acc[LANES] = {0}, sum = 0;
        for (; i + LANES <= end; i += LANES)
            for (int k = 0; k < LANES; k++) {
                double d = (double)j->pred[i + k] - j->target[i + k];
                acc[k] += d * d;
            }
        for (; i < end; i++) {
            double d = (double)j->pred[i] - j->target[i];
            acc[0] += d * d;
        }
        for (int k = 0; k < LANES; k++)
            sum += acc[k];
        j->partial[b] = sum;
    }
}

static void mse_backward_range(void *p, size_t lo, size_t hi)
{
    const mse_job *j = p;
    for (size_t b = lo; b < hi; b++) {
        size_t i0, end;
        block_range(j, b, &i0, &end);
        float c = j->coef[b / j->blocks];
        for (size_t i = i0; j->gp && i < end; i++)
            j->gp[i] += c * (j->pred[i] - j->target[i]);
        for (size_t i = i0; j->gt && i < end; i++)
            j->gt[i] -= c * (j->pred[i] - j->target[i]);
    }
}

static size_t block_grain(size_t per_sample)
{
    return per_sample >= LOSS_BLOCK ? 4 : 4 * LOSS_BLOCK / per_sample;
}

static void mse_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *pred = node->in[0], *target = node->in[1];
    const float *weights = node->ctx;
    int batch = pred->shape[0];
    size_t per = pred->numel / (size_t)batch;
    mse_job j = {per, (per + LOSS_BLOCK - 1) / LOSS_BLOCK, pred->data, target->data, NULL, NULL,
                 drift_grad(g, pred), drift_grad(g, target)};
    float *coef = drift_graph_alloc(g, (size_t)batch * sizeof *coef);
    if (!coef || (!j.gp && !j.gt))
        return;
    double go = node->out->grad[0];
    for (int n = 0; n < batch; n++)
        coef[n] = (float)(go * (weights ? weights[n] : 1.0) * 2.0 / ((double)batch * (double)per));
    j.coef = coef;
    drift_parallel_for((size_t)batch * j.blocks, block_grain(per), mse_backward_range, &j);
}

static bool mse_check(drift_graph *g, const drift_tensor *pred, const drift_tensor *target,
                      const float *weights)
{
    char sp[64], st[64];
    if (!drift_tensor_same_shape(pred, target)) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "drift_mse: pred %s and target %s differ",
                         drift_tensor_shape_str(pred, sp, sizeof sp),
                         drift_tensor_shape_str(target, st, sizeof st));
        return false;
    }
    for (int n = 0; weights && n < pred->shape[0]; n++)
        if (!isfinite(weights[n])) {
            drift_graph_fail(g, DRIFT_ERR_NUMERIC, "drift_mse: weight %d is %g", n, (double)weights[n]);
            return false;
        }
    return true;
}

drift_tensor *drift_mse(drift_graph *g, drift_tensor *pred, drift_tensor *target,
                        const float *weights)
{
    DRIFT_CHECK_INPUTS(g, pred, target);
    if (!mse_check(g, pred, target, weights))
        return NULL;
    int batch = pred->shape[0], one = 1;
    size_t per = pred->numel / (size_t)batch;
    mse_job j = {per, (per + LOSS_BLOCK - 1) / LOSS_BLOCK, pred->data, target->data, NULL, NULL,
                 NULL, NULL};
    j.partial = drift_graph_alloc(g, (size_t)batch * j.blocks * sizeof(double));
    drift_tensor *loss = j.partial ? drift_graph_tensor(g, 1, &one) : NULL;
    if (!loss)
        return NULL;
    drift_parallel_for((size_t)batch * j.blocks, block_grain(per), mse_forward_range, &j);
    double total = 0;
    for (int n = 0; n < batch; n++) {
        double s = 0;
        for (size_t b = 0; b < j.blocks; b++)
            s += j.partial[(size_t)n * j.blocks + b];
        total += (weights ? weights[n] : 1.0) * s / (double)per;
    }
    loss->data[0] = (float)(total / batch);
    drift_tensor *in[2] = {pred, target};
    drift_node *node = drift_graph_record(g, mse_backward, loss, 2, in);
    if (node && weights) {
        float *saved = drift_graph_alloc(g, (size_t)batch * sizeof *saved);
        if (!saved)
            return NULL;
        memcpy(saved, weights, (size_t)batch * sizeof *saved);
        node->ctx = saved;
    }
    return loss;
}
