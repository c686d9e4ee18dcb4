/* op_pool.h: global average pooling, the step from a classifier's feature
 * maps to one vector per sample (its embedding). */
#ifndef DRIFT_OP_POOL_H
#define DRIFT_OP_POOL_H

#include "graph.h"
#include "tensor.h"

/* x: (N,C,L) or (N,C,H,W) -> (N,C): the mean over all positions of each
 * channel (accumulated in double). The gradient spreads evenly back. */
drift_tensor *drift_global_avg_pool(drift_graph *g, drift_tensor *x);

#endif
