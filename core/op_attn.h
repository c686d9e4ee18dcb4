/* op_attn.h: multi-head scaled dot-product attention, for the U-Net's
 * self-attention over positions and cross-attention to a conditioning
 * sequence (tags). */
#ifndef DRIFT_OP_ATTN_H
#define DRIFT_OP_ATTN_H

#include "graph.h"

/* q: (N,Lq,D); k, v: (N,Lk,D); D % heads == 0; head h uses features
 * [h*D/heads, (h+1)*D/heads).
 * out = softmax(q k^T / sqrt(D/heads)) v per head -> (N,Lq,D).
 * key_mask: NULL or (N,Lk) with 1 = attend, 0 = ignore (padded tag
 * sequences); it gets no gradient. A query whose keys are all masked gives
 * zeros. Self-attention is drift_attention(q, k, v) with all three from the
 * same tokens; cross-attention takes k and v from the context. */
drift_tensor *drift_attention(drift_graph *g, drift_tensor *q, drift_tensor *k, drift_tensor *v,
                              int heads, drift_tensor *key_mask);

#endif
