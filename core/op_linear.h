/* op_linear.h: drift's fully connected layer, y = x W^T + b, with its
 * backward. One matrix product over all leading rows. */
#ifndef DRIFT_OP_LINEAR_H
#define DRIFT_OP_LINEAR_H

#include "graph.h"
#include "tensor.h"

/* x: (..., IN) with 1 to 3 leading dims; w: (OUT, IN); b: (OUT) or NULL
 * -> (..., OUT). */
drift_tensor *drift_linear(drift_graph *g, drift_tensor *x, drift_tensor *w, drift_tensor *b);

#endif
