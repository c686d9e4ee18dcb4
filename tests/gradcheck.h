/* gradcheck.h: finite-difference checks of operators' backward passes.
 *
 * The operator under test maps input tensors to one output. The check
 * takes the scalar L = sum_i out_i * r_i (r fixed random weights, the sum
 * accumulated in double), computes dL/dinput by backward, and compares it
 * with central differences (L(x+e) - L(x-e)) / 2e on up to `max_probe`
 * elements of every input. */
#ifndef DRIFT_GRADCHECK_H
#define DRIFT_GRADCHECK_H

#include "drift.h"

typedef drift_tensor *(*gradcheck_fn)(drift_graph *g, drift_tensor **in, void *ctx);

typedef struct gradcheck_input {
    int ndim;
    int shape[4];
    float *data;        /* values to check at (copied) */
    bool differentiable; /* false for inputs without a gradient (ids, masks) */
} gradcheck_input;

/* Returns the worst relative error over all probed elements:
 * |analytic - numeric| / max(|analytic|, |numeric|, floor). Prints the
 * worst offender when it exceeds `report_above`. */
double gradcheck(const char *name, gradcheck_fn f, void *ctx, int n_in, const gradcheck_input *in,
                 double eps, int max_probe, double floor, double report_above);

#endif
