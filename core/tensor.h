/* tensor.h: drift's tensor: contiguous float32 with at most 4 dimensions.
 *
 * Layouts: (N,C,L) for sequences and spectrograms, (N,C,H,W) for images,
 * (N,D) for vectors, (N,L,D) for token sequences. A tensor does not own
 * its memory: a graph's arena or a model's parameter buffer does. */
#ifndef DRIFT_TENSOR_H
#define DRIFT_TENSOR_H

#include <stdbool.h>
#include <stddef.h>

#define DRIFT_MAX_DIMS 4

enum {
    DRIFT_T_NEEDS_GRAD = 1u << 0, /* backward computes a gradient for it */
    DRIFT_T_PARAM = 1u << 1,      /* a model parameter: grad lives with the model */
    DRIFT_T_GRAD_OWNED = 1u << 2, /* grad came from the graph (drift_grad): it recycles it */
};

typedef struct drift_tensor {
    float *data;
    float *grad;   /* same shape as data; NULL until backward needs it */
    int ndim;
    int shape[DRIFT_MAX_DIMS];
    size_t numel;
    unsigned flags;
    const char *name; /* parameters only; NULL otherwise */
} drift_tensor;

/* Fills t's shape fields; returns false if ndim or a dimension is invalid. */
bool drift_tensor_set_shape(drift_tensor *t, int ndim, const int *shape);

static inline bool drift_tensor_needs_grad(const drift_tensor *t)
{
    return t && (t->flags & DRIFT_T_NEEDS_GRAD);
}

bool drift_tensor_same_shape(const drift_tensor *a, const drift_tensor *b);

/* "(2,3,32,32)" into buf; returns buf. */
const char *drift_tensor_shape_str(const drift_tensor *t, char *buf, size_t size);

/* Product of dimensions from `from` (inclusive) to the end. */
size_t drift_tensor_inner(const drift_tensor *t, int from);

#endif
