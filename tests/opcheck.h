/* opcheck.h: what the operator tests share: random inputs, running an
 * operator once (forward, seeded backward, copies of everything), and the
 * checks every operator gets: against PyTorch's golden values, that
 * backward adds into gradients rather than overwriting them, and that 1
 * and 2 threads give identical bits. */
#ifndef DRIFT_OPCHECK_H
#define DRIFT_OPCHECK_H

#include "drift.h"
#include "gradcheck.h"
#include "testutil.h"

#define GOLDEN_TOL 1e-4

bool light(void);
/* n normal values times scale plus shift, from Philox stream `stream`. */
float *randn(size_t n, uint64_t stream, float scale, float shift);
gradcheck_input input(int ndim, const int *shape, float *data, bool differentiable);
size_t numel(const gradcheck_input *in);

typedef struct {
    float *out;
    size_t out_n;
    float *grad[4];
} op_result;

void result_free(op_result *r);
/* Runs f on copies of the inputs; the output's gradient is gy (or fixed
 * random values if gy is NULL); input gradients start at grad_init.
 * Returns false if the operator failed. */
bool run_op(gradcheck_fn f, void *ctx, int n_in, const gradcheck_input *in, const float *gy, float grad_init,
            op_result *res);

typedef struct {
    const char *value; /* golden name of the input */
    const char *grad;  /* golden name of its gradient, NULL if none */
} golden_arg;

/* Output and gradients of op against the golden file's op.out / op.gy. */
void golden_check(const golden_file *gf, const char *op, gradcheck_fn f, void *ctx, int n_in, const golden_arg *args);
void accumulate_check(const char *op, gradcheck_fn f, void *ctx, int n_in, const gradcheck_input *in);
void thread_check(const char *op, gradcheck_fn f, void *ctx, int n_in, const gradcheck_input *in);

#endif
