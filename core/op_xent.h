/* op_xent.h: softmax cross-entropy with integer class labels, the loss a
 * classifier trains on (torch.nn.functional.cross_entropy with its default
 * mean reduction). */
#ifndef DRIFT_OP_XENT_H
#define DRIFT_OP_XENT_H

#include "graph.h"
#include "tensor.h"

/* logits: (N,K); labels: N ids in [0, K) -> (1):
 *   loss = (1/N) sum_n [ logsumexp_k logits[n,k] - logits[n,labels[n]] ].
 * The gradient to logits is (softmax - onehot) / N times the output's
 * gradient. Labels are copied, so the caller may reuse its array; a label
 * outside [0, K) fails naming the sample. */
drift_tensor *drift_cross_entropy(drift_graph *g, drift_tensor *logits, const int *labels);

#endif
