/* params.h: a model's parameters, in one data buffer and one gradient buffer.
 *
 * A model registers its tensors first (drift_params_add, which hands back a
 * stable pointer), then calls drift_params_finalize once: that allocates one
 * zeroed, 64-byte aligned buffer for all values and one for all gradients,
 * packed back to back in registration order, and points every tensor into
 * them. The optimiser, gradient clipping, EMA and checkpoints then work on
 * the flat buffers in single passes.
 *
 * Errors while registering are sticky: a failing add returns NULL and
 * finalize returns the first failure, so a model can register everything
 * and check once. */
#ifndef DRIFT_PARAMS_H
#define DRIFT_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "rng.h"
#include "status.h"
#include "tensor.h"

typedef struct drift_params drift_params;

drift_params *drift_params_create(void);
void drift_params_free(drift_params *p);

/* Registers a tensor of the given shape (1 to 4 dimensions, all > 0) named
 * `name` (copied; unique within the set). Flags: DRIFT_T_PARAM and
 * DRIFT_T_NEEDS_GRAD. data and grad are NULL until finalize. NULL on error
 * (duplicate name, bad shape, after finalize). */
drift_tensor *drift_params_add(drift_params *p, const char *name, int ndim, const int *shape);

/* Allocates the buffers (zeroed) and points each tensor into them. Returns
 * the first registration error if any. Calling it twice is an error. */
drift_status drift_params_finalize(drift_params *p);

/* A finalized set with the same names and shapes as src, values copied.
 * Without `with_grad` it has no gradient buffer (tensors' grad stay NULL,
 * DRIFT_T_NEEDS_GRAD off): for EMA weights. NULL on error. */
drift_params *drift_params_clone(const drift_params *src, bool with_grad);

bool drift_params_finalized(const drift_params *p);
size_t drift_params_count(const drift_params *p);
size_t drift_params_numel(const drift_params *p); /* total over all tensors */
drift_tensor *drift_params_get(const drift_params *p, size_t i); /* NULL if out of range */
drift_tensor *drift_params_find(const drift_params *p, const char *name); /* NULL if absent */
/* Offset of tensor i's first element in the flat buffers. */
size_t drift_params_offset(const drift_params *p, size_t i);

/* The flat buffers, drift_params_numel() floats each (NULL before
 * finalize; grad NULL for a clone without gradients). */
float *drift_params_data(const drift_params *p);
float *drift_params_grad(const drift_params *p);

void drift_params_zero_grad(drift_params *p);

/* True if both are finalized with the same names and shapes in order. */
bool drift_params_same_layout(const drift_params *a, const drift_params *b);

/* dst values = src values; fails with a message naming the first
 * difference if the layouts differ. */
drift_status drift_params_copy(drift_params *dst, const drift_params *src);

/* Initialisers for a finalized tensor t (any shape):
 * uniform U(-bound, bound); normal N(mean, std^2); constant. */
drift_status drift_params_init_uniform(drift_tensor *t, float bound, drift_rng *rng);
drift_status drift_params_init_normal(drift_tensor *t, float mean, float std, drift_rng *rng);
drift_status drift_params_init_constant(drift_tensor *t, float value);

/* PyTorch's default for Conv and Linear layers: kaiming_uniform(a=sqrt(5))
 * for the weight, which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same
 * bound for the bias. fan_in = in_channels * kernel size (in_features for
 * Linear). b may be NULL. The weight is drawn before the bias. */
drift_status drift_params_init_torch_default(drift_tensor *w, drift_tensor *b, int fan_in,
                                             drift_rng *rng);

#endif
