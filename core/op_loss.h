/* op_loss.h: training losses. */
#ifndef DRIFT_OP_LOSS_H
#define DRIFT_OP_LOSS_H

#include "graph.h"

/* pred, target: same shape (N,...); weights: NULL (all 1) or N floats ->
 * (1): loss = (1/N) * sum_n w_n * mean over sample n of (pred - target)^2.
 * Gradients go to pred, and to target if it needs one. The weights are
 * copied, so the caller may reuse its array. */
drift_tensor *drift_mse(drift_graph *g, drift_tensor *pred, drift_tensor *target,
                        const float *weights);

#endif
