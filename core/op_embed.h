/* op_embed.h: embeddings: the sinusoidal timestep embedding that tells the
 * U-Net where in the diffusion it is, and a lookup table for conditioning
 * tokens (tags, classes). */
#ifndef DRIFT_OP_EMBED_H
#define DRIFT_OP_EMBED_H

#include "graph.h"

/* t: n timesteps (e.g. 0..999, or continuous) -> (n, dim); dim even,
 * half = dim/2, freq_i = exp(-ln(max_period) * i / half),
 * out[:, i] = cos(t * freq_i), out[:, half + i] = sin(t * freq_i).
 * Computed in double and rounded once. A constant: no gradient. */
drift_tensor *drift_timestep_embedding(drift_graph *g, const float *t, int n, int dim,
                                       float max_period);

/* table: (V,D); ids: n ints in [0,V), or -1 for padding (a zero row that
 * gets no gradient) -> (n,D). The gradient scatter-adds into the table.
 * An id outside [-1, V) fails with a message naming it. */
drift_tensor *drift_embedding(drift_graph *g, drift_tensor *table, const int *ids, int n);

#endif
