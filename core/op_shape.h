/* op_shape.h: operators that move values around without arithmetic:
 * nearest upsampling, channel concatenation, reshape, the change between
 * feature maps and token sequences, and slicing the last dimension. Each
 * has its backward. */
#ifndef DRIFT_OP_SHAPE_H
#define DRIFT_OP_SHAPE_H

#include "graph.h"
#include "tensor.h"

/* Nearest-neighbour: (N,C,L) -> (N,C,2L); (N,C,H,W) -> (N,C,2H,2W). */
drift_tensor *drift_upsample2x(drift_graph *g, drift_tensor *x);

/* Along dim 1: (N,Ca,...), (N,Cb,...) -> (N,Ca+Cb,...); the other dims equal. */
drift_tensor *drift_concat_channels(drift_graph *g, drift_tensor *a, drift_tensor *b);

/* x: any shape -> shape[0..ndim), same number of elements. The result
 * shares x's values (no copy); its gradient flows back to x. */
drift_tensor *drift_reshape(drift_graph *g, drift_tensor *x, int ndim, const int *shape);

/* (N,C,L) or (N,C,H,W) -> (N,P,C), P = L or H*W. */
drift_tensor *drift_to_tokens(drift_graph *g, drift_tensor *x);

/* t: (N,P,C) -> shape (N,C,L) or (N,C,H,W) with L or H*W = P (ndim 3 or 4). */
drift_tensor *drift_from_tokens(drift_graph *g, drift_tensor *t, int ndim, const int *shape);

/* x: (..., D) -> (..., len): elements [start, start+len) of the last dim. */
drift_tensor *drift_slice_last(drift_graph *g, drift_tensor *x, int start, int len);

#endif
