/* op_xent.c: softmax cross-entropy (see op_xent.h). Rows are computed in
 * double with the maximum subtracted, so large logits do not overflow;
 * the sum over the batch runs in row order on one thread. */
#include "op_xent.h"

#include <math.h>
#include <string.h>

typedef struct {
    int *labels;      /* (N) copied */
    double *lse;      /* (N) log-sum-exp of each row */
} xent_saved;

/* log sum_k exp(row[k]) for a row of k values. */
static double row_logsumexp(const float *row, int k)
{
    double max = row[0], sum = 0;
    for (int i = 1; i < k; i++)
        max = row[i] > max ? row[i] : max;
    for (int i = 0; i < k; i++)
        sum += exp((double)row[i] - max);
    return max + log(sum);
}

static void xent_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *logits = node->in[0];
    float *gl = drift_grad(g, logits);
    if (!gl)
        return;
    const xent_saved *sv = node->ctx;
    int n = logits->shape[0], k = logits->shape[1];
    double scale = node->out->grad[0] / n;
    for (int r = 0; r < n; r++) {
        const float *row = logits->data + (size_t)r * k;
        float *grow = gl + (size_t)r * k;
        for (int i = 0; i < k; i++) {
            double p = exp((double)row[i] - sv->lse[r]);
            grow[i] += (float)(scale * (p - (i == sv->labels[r])));
        }
    }
}

static bool xent_check(drift_graph *g, const drift_tensor *logits, const int *labels)
{
    char s[64];
    if (logits->ndim != 2 || logits->shape[1] < 1) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "drift_cross_entropy: logits %s are not (N,K)",
                         drift_tensor_shape_str(logits, s, sizeof s));
        return false;
    }
    if (!labels) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "drift_cross_entropy: no labels");
        return false;
    }
    for (int r = 0; r < logits->shape[0]; r++)
        if (labels[r] < 0 || labels[r] >= logits->shape[1]) {
            drift_graph_fail(g, DRIFT_ERR_ARG, "drift_cross_entropy: label %d of sample %d is not in [0, %d)",
                             labels[r], r, logits->shape[1]);
            return false;
        }
    return true;
}

drift_tensor *drift_cross_entropy(drift_graph *g, drift_tensor *logits, const int *labels)
{
    DRIFT_CHECK_INPUTS(g, logits);
    if (!xent_check(g, logits, labels))
        return NULL;
    int n = logits->shape[0], k = logits->shape[1], one = 1;
    xent_saved *sv = drift_graph_alloc(g, sizeof *sv);
    double *lse = drift_graph_alloc(g, (size_t)n * sizeof *lse);
    drift_tensor *loss = sv && lse ? drift_graph_tensor(g, 1, &one) : NULL;
    if (!loss)
        return NULL;
    double total = 0;
    for (int r = 0; r < n; r++) {
        const float *row = logits->data + (size_t)r * k;
        lse[r] = row_logsumexp(row, k);
        total += lse[r] - row[labels[r]];
    }
    loss->data[0] = (float)(total / n);
    drift_node *node = drift_graph_record(g, xent_backward, loss, 1, &logits);
    if (node) {
        sv->labels = drift_graph_alloc(g, (size_t)n * sizeof *sv->labels);
        if (!sv->labels)
            return NULL;
        memcpy(sv->labels, labels, (size_t)n * sizeof *labels);
        sv->lse = lse;
        node->ctx = sv;
    }
    return loss;
}
