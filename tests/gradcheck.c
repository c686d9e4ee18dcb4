/* gradcheck.c: see gradcheck.h. */
#include "gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    gradcheck_fn f;
    void *ctx;
    int n_in;
    const gradcheck_input *spec;
    float **data;   /* working copies of the inputs */
    float **grad;   /* analytic gradients */
    double *r;      /* output weights */
    size_t out_n;
} check_state;

/* Runs the operator; with grads, also backward into st->grad. Returns L. */
static double evaluate(check_state *st, bool with_grad)
{
    drift_graph *g = drift_graph_create();
    drift_tensor *in[8];
    for (int i = 0; i < st->n_in; i++) {
        in[i] = drift_graph_wrap(g, st->data[i], st->spec[i].ndim, st->spec[i].shape);
        if (with_grad && st->spec[i].differentiable) {
            memset(st->grad[i], 0, in[i]->numel * sizeof(float));
            in[i]->grad = st->grad[i];
            in[i]->flags |= DRIFT_T_NEEDS_GRAD | DRIFT_T_PARAM;
        }
    }
    drift_graph_set_grad(g, with_grad);
    drift_tensor *out = st->f(g, in, st->ctx);
    double loss = NAN;
    if (out) {
        if (!st->r) {
            st->out_n = out->numel;
            st->r = malloc(out->numel * sizeof(double));
            drift_rng rng;
            drift_rng_init(&rng, 99, 0);
            for (size_t i = 0; i < out->numel; i++)
                st->r[i] = drift_rng_uniform(&rng) * 2 - 1;
        }
        loss = 0;
        for (size_t i = 0; i < out->numel; i++)
            loss += (double)out->data[i] * st->r[i];
        if (with_grad) {
            float *go = drift_grad(g, out);
            if (go)
                for (size_t i = 0; i < out->numel; i++)
                    go[i] = (float)st->r[i];
        }
    }
    if (with_grad && out)
        drift_graph_backward_from(g, out);
    if (drift_graph_status(g) != DRIFT_OK) {
        fprintf(stderr, "gradcheck: operator failed: %s\n", drift_graph_error(g));
        loss = NAN;
    }
    drift_graph_free(g);
    return loss;
}

double gradcheck(const char *name, gradcheck_fn f, void *ctx, int n_in, const gradcheck_input *in,
                 double eps, int max_probe, double floor, double report_above)
{
    check_state st = {f, ctx, n_in, in, NULL, NULL, NULL, 0};
    st.data = calloc((size_t)n_in, sizeof(float *));
    st.grad = calloc((size_t)n_in, sizeof(float *));
    for (int i = 0; i < n_in; i++) {
        size_t n = 1;
        for (int d = 0; d < in[i].ndim; d++)
            n *= (size_t)in[i].shape[d];
        st.data[i] = malloc(n * sizeof(float));
        st.grad[i] = calloc(n, sizeof(float));
        memcpy(st.data[i], in[i].data, n * sizeof(float));
    }
    double worst = 0;
    if (isnan(evaluate(&st, true)))
        worst = INFINITY;
    drift_rng rng;
    drift_rng_init(&rng, 5, 0);
    for (int i = 0; i < n_in && isfinite(worst); i++) {
        if (!in[i].differentiable)
            continue;
        size_t n = 1;
        for (int d = 0; d < in[i].ndim; d++)
            n *= (size_t)in[i].shape[d];
        size_t probes = n < (size_t)max_probe ? n : (size_t)max_probe;
        for (size_t p = 0; p < probes; p++) {
            size_t j = probes == n ? p : drift_rng_below(&rng, (uint32_t)n);
            float saved = st.data[i][j];
            st.data[i][j] = saved + (float)eps;
            double lp = evaluate(&st, false);
            st.data[i][j] = saved - (float)eps;
            double lm = evaluate(&st, false);
            st.data[i][j] = saved;
            double h = ((double)(saved + (float)eps) - (double)(saved - (float)eps));
            double numeric = (lp - lm) / h, analytic = st.grad[i][j];
            double scale = fmax(fmax(fabs(numeric), fabs(analytic)), floor);
            double err = fabs(numeric - analytic) / scale;
            if (!(err <= worst))
                worst = isnan(err) ? INFINITY : err;
            if (err > report_above)
                fprintf(stderr, "gradcheck %s: input %d elem %zu analytic %.6g numeric %.6g\n", name,
                        i, j, analytic, numeric);
        }
    }
    for (int i = 0; i < n_in; i++) {
        free(st.data[i]);
        free(st.grad[i]);
    }
    free(st.data);
    free(st.grad);
    free(st.r);
    return worst;
}
