/* op_elem.h: elementwise operators of drift's engine: SiLU, sums and
 * products of tensors, scaling, per-channel bias and gain (how a U-Net adds
 * its time embedding), and inverted dropout.
 *
 * Each operator allocates its output from the graph and, when gradients are
 * on and an input needs one, records its backward. Bad shapes set the
 * graph's status and return NULL (see graph.h). */
#ifndef DRIFT_OP_ELEM_H
#define DRIFT_OP_ELEM_H

#include "graph.h"
#include "rng.h"

/* x: any shape -> same shape, x * sigmoid(x) */
drift_tensor *drift_silu(drift_graph *g, drift_tensor *x);

/* a, b: same shape -> a + b */
drift_tensor *drift_add(drift_graph *g, drift_tensor *a, drift_tensor *b);

/* a, b: same shape -> a * b elementwise */
drift_tensor *drift_mul(drift_graph *g, drift_tensor *a, drift_tensor *b);

/* x: any shape -> s * x */
drift_tensor *drift_scale(drift_graph *g, drift_tensor *x, float s);

/* x: (N,C,...), v: (N,C) -> x + v broadcast over positions
 * (the time embedding added per channel) */
drift_tensor *drift_add_channel(drift_graph *g, drift_tensor *x, drift_tensor *v);

/* x: (N,C,...), v: (N,C) -> x * v broadcast over positions */
drift_tensor *drift_mul_channel(drift_graph *g, drift_tensor *x, drift_tensor *v);

/* x: any shape -> same shape. Inverted dropout: each element is kept with
 * probability 1-p and then divided by 1-p. Element i's decision comes from
 * Philox block rng->counter + i/4, word i%4, so the mask depends only on
 * the rng state; the rng advances by ceil(numel/4) blocks. p = 0, or
 * gradients disabled (inference), returns x itself. 0 <= p < 1. */
drift_tensor *drift_dropout(drift_graph *g, drift_tensor *x, float p, drift_rng *rng);

#endif
