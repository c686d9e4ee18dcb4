/* op_norm.h: group normalisation, the U-Net's normaliser.
 *
 * PyTorch GroupNorm semantics: the channels of each sample are split into
 * `groups` consecutive groups; each group is normalised with its mean and
 * biased variance, y = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c]. */
#ifndef DRIFT_OP_NORM_H
#define DRIFT_OP_NORM_H

#include "graph.h"

/* x: (N,C,L) or (N,C,H,W); gamma, beta: (C), either may be NULL (= 1 / 0);
 * C % groups == 0; eps > 0 -> x's shape. */
drift_tensor *drift_group_norm(drift_graph *g, drift_tensor *x, drift_tensor *gamma,
                               drift_tensor *beta, int groups, float eps);

/* silu(drift_group_norm(...)), the same values; in one pass over the
 * output when the graph records nothing for it (sampling), else the two
 * operators. */
drift_tensor *drift_group_norm_silu(drift_graph *g, drift_tensor *x, drift_tensor *gamma,
                                    drift_tensor *beta, int groups, float eps);

#endif
