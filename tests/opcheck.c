/* opcheck.c: see opcheck.h. */
#include "opcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool light(void) { return getenv("DRIFT_TEST_LIGHT") != NULL; }

float *randn(size_t n, uint64_t stream, float scale, float shift)
{
    float *x = malloc(n * sizeof *x);
    drift_rng r;
    drift_rng_init(&r, 4048, stream);
    drift_rng_normal(&r, x, n);
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] * scale + shift;
    return x;
}

gradcheck_input input(int ndim, const int *shape, float *data, bool differentiable)
{
    gradcheck_input in = {ndim, {1, 1, 1, 1}, data, differentiable};
    for (int i = 0; i < ndim; i++)
        in.shape[i] = shape[i];
    return in;
}

size_t numel(const gradcheck_input *in)
{
    size_t n = 1;
    for (int d = 0; d < in->ndim; d++)
        n *= (size_t)in->shape[d];
    return n;
}

/* ---- running an operator once: forward, seeded backward, copies ------- */


void result_free(op_result *r)
{
    free(r->out);
    for (int i = 0; i < 4; i++)
        free(r->grad[i]);
    memset(r, 0, sizeof *r);
}

/* Runs f on copies of the inputs; the output's gradient is gy (or fixed
 * random values if gy is NULL); input gradients start at grad_init.
 * Returns false if the operator failed. */
bool run_op(gradcheck_fn f, void *ctx, int n_in, const gradcheck_input *in, const float *gy,
                   float grad_init, op_result *res)
{
    memset(res, 0, sizeof *res);
    drift_graph *g = drift_graph_create();
    drift_tensor *t[4];
    float *copies[4];
    for (int i = 0; i < n_in; i++) {
        size_t n = numel(&in[i]);
        copies[i] = malloc(n * sizeof(float));
        memcpy(copies[i], in[i].data, n * sizeof(float));
        t[i] = drift_graph_wrap(g, copies[i], in[i].ndim, in[i].shape);
        if (in[i].differentiable) {
            res->grad[i] = malloc(n * sizeof(float));
            for (size_t e = 0; e < n; e++)
                res->grad[i][e] = grad_init;
            t[i]->grad = res->grad[i];
            t[i]->flags |= DRIFT_T_NEEDS_GRAD | DRIFT_T_PARAM;
        }
    }
    drift_tensor *out = f(g, t, ctx);
    if (out) {
        res->out_n = out->numel;
        res->out = malloc(out->numel * sizeof(float));
        memcpy(res->out, out->data, out->numel * sizeof(float));
        float *go = drift_grad(g, out);
        if (go && gy)
            memcpy(go, gy, out->numel * sizeof(float));
        else if (go) {
            drift_rng r;
            drift_rng_init(&r, 77, 0);
            drift_rng_normal(&r, go, out->numel);
        }
        if (go)
            drift_graph_backward_from(g, out);
    }
    bool ok = drift_graph_status(g) == DRIFT_OK;
    if (!ok)
        fprintf(stderr, "operator failed: %s\n", drift_graph_error(g));
    drift_graph_free(g);
    for (int i = 0; i < n_in; i++)
        free(copies[i]);
    return ok;
}

/* ---- golden comparison against PyTorch -------------------------------- */


void golden_check(const golden_file *gf, const char *op, gradcheck_fn f, void *ctx, int n_in,
                         const golden_arg *args)
{
    char name[64];
    gradcheck_input in[4];
    for (int i = 0; i < n_in; i++) {
        const golden_tensor *gt = golden_get(gf, args[i].value);
        if (!gt)
            return;
        in[i] = input(gt->ndim, gt->dims, gt->data, args[i].grad != NULL);
    }
    snprintf(name, sizeof name, "%s.gy", op);
    const golden_tensor *gy = golden_get(gf, name);
    snprintf(name, sizeof name, "%s.out", op);
    const golden_tensor *want = golden_get(gf, name);
    op_result r;
    bool ok = gy && want && run_op(f, ctx, n_in, in, gy->data, 0.0f, &r);
    CHECK(ok, "%s ran", op);
    if (!ok)
        return;
    CHECK(r.out_n == want->n, "%s: %zu outputs, torch has %zu", op, r.out_n, want->n);
    if (r.out_n == want->n) {
        double err = rel_error(r.out, want->data, want->n, 1e-6);
        CHECK(err <= GOLDEN_TOL, "%s: output differs from torch by %g", op, err);
    }
    for (int i = 0; i < n_in; i++) {
        const golden_tensor *gw = args[i].grad ? golden_get(gf, args[i].grad) : NULL;
        if (!gw)
            continue;
        double err = rel_error(r.grad[i], gw->data, gw->n, 1e-6);
        CHECK(err <= GOLDEN_TOL, "%s: gradient %s differs from torch by %g", op, args[i].grad, err);
    }
    result_free(&r);
}

/* ---- backward adds into gradients that already hold values ----------- */

void accumulate_check(const char *op, gradcheck_fn f, void *ctx, int n_in,
                             const gradcheck_input *in)
{
    op_result r0, r1;
    bool ok = run_op(f, ctx, n_in, in, NULL, 0.0f, &r0) && run_op(f, ctx, n_in, in, NULL, 1.0f, &r1);
    CHECK(ok, "%s ran", op);
    for (int i = 0; ok && i < n_in; i++) {
        size_t bad = 0;
        for (size_t e = 0; r0.grad[i] && e < numel(&in[i]); e++)
            bad += fabsf(r1.grad[i][e] - 1.0f - r0.grad[i][e]) > 2.4e-7f * (1.0f + fabsf(r0.grad[i][e]));
        CHECK(bad == 0, "%s: backward overwrote %zu gradient elements of input %d", op, bad, i);
    }
    result_free(&r0);
    result_free(&r1);
}

/* ---- 1 and 2 threads give identical bits ------------------------------ */

void thread_check(const char *op, gradcheck_fn f, void *ctx, int n_in, const gradcheck_input *in)
{
    op_result r1, r2;
    drift_set_threads(1);
    bool ok1 = run_op(f, ctx, n_in, in, NULL, 0.0f, &r1);
    drift_set_threads(2);
    bool ok2 = run_op(f, ctx, n_in, in, NULL, 0.0f, &r2);
    CHECK(ok1 && ok2, "%s ran on 1 and 2 threads", op);
    if (ok1 && ok2) {
        CHECK(r1.out_n == r2.out_n && memcmp(r1.out, r2.out, r1.out_n * sizeof(float)) == 0,
              "%s: output differs between 1 and 2 threads", op);
        for (int i = 0; i < n_in; i++)
            if (r1.grad[i])
                CHECK(memcmp(r1.grad[i], r2.grad[i], numel(&in[i]) * sizeof(float)) == 0,
                      "%s: gradient of input %d differs between 1 and 2 threads", op, i);
    }
    result_free(&r1);
    result_free(&r2);
}

/* ---- the operators under test ----------------------------------------- */

