/* op_norm.c: group normalisation forward and backward (see op_norm.h).
 *
 * Work is split over (sample, group) pairs with drift_parallel_for. The
 * statistics of a group come from one pass of shifted sums in double
 * (shifting by the group's first value keeps the variance accurate when the
 * mean is large). Parameter gradients are summed per (sample, channel) in
 * the parallel part and over samples afterwards in a fixed order, so the
 * result does not depend on the thread count. */
#include "op_norm.h"

#include <math.h>

#include "op_elem.h"
#include "threads.h"

typedef struct {
    int channels, groups;
    size_t positions;          /* elements per channel */
    float eps;
    const float *x, *gamma, *beta;
    float *y;
    float *mean, *rstd;        /* (N, groups), saved for backward */
    const float *gy;           /* backward only from here on */
    float *gx;                 /* NULL if x needs no gradient */
    double *sum_gy, *sum_gy_xc; /* (N, C): sum gy and sum gy * (x - mean) per channel */
} gn_job;

/* su = sum (u - cu), suw = sum (u - cu) * (w - cw), accumulated in double
 * over independent lanes so the compiler can keep several sums in flight. */
static void centred_sums(const float *u, double cu, const float *w, double cw, size_t n, double *su,
                         double *suw)
{
    enum { LANES = 8 };
    double a[LANES] = {0}, b[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++) {
            double du = (double)u[i + k] - cu;
            a[k] += du;
            b[k] += du * ((double)w[i + k] - cw);
        }
    for (; i < n; i++) {
        double du = (double)u[i] - cu;
        a[0] += du;
        b[0] += du * ((double)w[i] - cw);
    }
    double sa = 0, sb = 0;
    for (int k = 0; k < LANES; k++) {
        sa += a[k];
        sb += b[k];
    }
    *su = sa;
    *suw = sb;
}

/* g += u * a + w * b + c, in fixed-length blocks so that it vectorises. */
static void add_combination(const float *restrict u, float a, const float *restrict w, float b,
                            float c, float *restrict g, size_t n)
{
    enum { BLOCK = 16 };
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (int k = 0; k < BLOCK; k++)
            g[i + k] += u[i + k] * a + w[i + k] * b + c;
    for (; i < n; i++)
        g[i] += u[i] * a + w[i] * b + c;
}

static void gn_forward_range(void *p, size_t lo, size_t hi)
{
    const gn_job *j = p;
    int cg = j->channels / j->groups;
    size_t m = (size_t)cg * j->positions;
    for (size_t t = lo; t < hi; t++) {
        const float *x = j->x + t * m;
        float *y = j->y + t * m;
        double shift = x[0], s, s2;
        centred_sums(x, shift, x, shift, m, &s, &s2);
        double mean = s / (double)m, var = fmax(s2 / (double)m - (s / (double)m) * (s / (double)m), 0.0);
        double rstd = 1.0 / sqrt(var + j->eps);
        j->mean[t] = (float)(shift + mean);
        j->rstd[t] = (float)rstd;
        int c0 = (int)(t % (size_t)j->groups) * cg;
        for (int c = 0; c < cg; c++) {
            float a = (float)(rstd * (j->gamma ? j->gamma[c0 + c] : 1.0f));
            float b = (float)((j->beta ? j->beta[c0 + c] : 0.0f) - (shift + mean) * a);
            drift_vec_affine(x + (size_t)c * j->positions, a, b, y + (size_t)c * j->positions,
                             j->positions);
        }
    }
}

/* With xhat = (x - mean) * rstd, dy' = gy * gamma and M elements per group:
 * gx = rstd * (dy' - mean(dy') - xhat * mean(dy' * xhat)), written per
 * channel as gx += gy * k1 + x * k2 + k3. */
static void gn_backward_range(void *p, size_t lo, size_t hi)
{
    const gn_job *j = p;
    int cg = j->channels / j->groups;
    size_t P = j->positions, m = (size_t)cg * P;
    for (size_t t = lo; t < hi; t++) {
        size_t n = t / (size_t)j->groups;
        int c0 = (int)(t % (size_t)j->groups) * cg;
        double mean = j->mean[t], rstd = j->rstd[t], a = 0, b = 0;
        for (int c = 0; c < cg; c++) {
            size_t nc = n * (size_t)j->channels + (size_t)(c0 + c);
            centred_sums(j->gy + t * m + (size_t)c * P, 0.0, j->x + t * m + (size_t)c * P, mean, P,
                         &j->sum_gy[nc], &j->sum_gy_xc[nc]);
            double gam = j->gamma ? j->gamma[c0 + c] : 1.0;
            a += gam * j->sum_gy_xc[nc] * rstd; /* sum dy' * xhat */
            b += gam * j->sum_gy[nc];           /* sum dy' */
        }
        if (!j->gx)
            continue;
        float k2 = (float)(-rstd * rstd * a / (double)m);
        float k3 = (float)(rstd * rstd * a * mean / (double)m - rstd * b / (double)m);
        for (int c = 0; c < cg; c++) {
            float k1 = (float)(rstd * (j->gamma ? j->gamma[c0 + c] : 1.0f));
            size_t off = t * m + (size_t)c * P;
            add_combination(j->gy + off, k1, j->x + off, k2, k3, j->gx + off, P);
        }
    }
}

/* Adds the per-sample channel sums into gamma's and beta's gradients in
 * sample order. */
static void gn_param_grads(const gn_job *j, int batch, float *ggamma, float *gbeta)
{
    for (int c = 0; c < j->channels; c++) {
        double sg = 0, sgx = 0;
        for (int n = 0; n < batch; n++) {
            size_t g = (size_t)n * (size_t)(j->groups);
            size_t nc = (size_t)n * (size_t)j->channels + (size_t)c;
            sg += j->sum_gy[nc];
            sgx += j->sum_gy_xc[nc] * j->rstd[g + (size_t)(c / (j->channels / j->groups))];
        }
        if (ggamma)
            ggamma[c] += (float)sgx;
        if (gbeta)
            gbeta[c] += (float)sg;
    }
}

static size_t gn_grain(size_t group_elems)
{
    return group_elems >= 8192 ? 1 : 8192 / group_elems;
}

static void gn_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *x = node->in[0], *gamma = node->in[1], *beta = node->in[2];
    const float *saved = node->ctx;
    int batch = x->shape[0], groups = node->iarg[0];
    gn_job j = {x->shape[1], groups, drift_tensor_inner(x, 2), 0, x->data,
                gamma ? gamma->data : NULL, NULL, NULL, (float *)saved,
                (float *)saved + (size_t)batch * (size_t)groups, node->out->grad,
                drift_grad(g, x), NULL, NULL};
    size_t nc = (size_t)batch * (size_t)j.channels;
    j.sum_gy = drift_graph_alloc(g, 2 * nc * sizeof(double));
    if (!j.sum_gy)
        return;
    j.sum_gy_xc = j.sum_gy + nc;
    size_t tasks = (size_t)batch * (size_t)groups;
    drift_parallel_for(tasks, gn_grain(x->numel / tasks), gn_backward_range, &j);
    float *ggamma = drift_grad(g, gamma), *gbeta = drift_grad(g, beta);
    if (ggamma || gbeta)
        gn_param_grads(&j, batch, ggamma, gbeta);
}

static bool gn_check(drift_graph *g, const drift_tensor *x, const drift_tensor *gamma,
                     const drift_tensor *beta, int groups, float eps)
{
    char sx[64], sp[64];
    if (x->ndim < 2) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "drift_group_norm: x %s needs (N,C,...)",
                         drift_tensor_shape_str(x, sx, sizeof sx));
        return false;
    }
    int c = x->shape[1];
    if (groups <= 0 || c % groups != 0) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "drift_group_norm: %d groups do not divide %d channels",
                         groups, c);
        return false;
    }
    if (!(eps > 0.0f) || !isfinite(eps)) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "drift_group_norm: eps %g must be positive", (double)eps);
        return false;
    }
    const drift_tensor *params[2] = {gamma, beta};
    for (int i = 0; i < 2; i++)
        if (params[i] && params[i]->numel != (size_t)c) {
            drift_graph_fail(g, DRIFT_ERR_SHAPE, "drift_group_norm: %s %s must have %d elements (C of x %s)",
                             i ? "beta" : "gamma", drift_tensor_shape_str(params[i], sp, sizeof sp),
                             c, drift_tensor_shape_str(x, sx, sizeof sx));
            return false;
        }
    return true;
}

drift_tensor *drift_group_norm(drift_graph *g, drift_tensor *x, drift_tensor *gamma,
                               drift_tensor *beta, int groups, float eps)
{
    DRIFT_CHECK_INPUTS(g, x);
    if (!gn_check(g, x, gamma, beta, groups, eps))
        return NULL;
    int batch = x->shape[0];
    size_t tasks = (size_t)batch * (size_t)groups;
    float *saved = drift_graph_alloc(g, 2 * tasks * sizeof(float));
    drift_tensor *y = saved ? drift_graph_tensor(g, x->ndim, x->shape) : NULL;
    if (!y)
        return NULL;
    gn_job j = {x->shape[1], groups, drift_tensor_inner(x, 2), eps, x->data,
                gamma ? gamma->data : NULL, beta ? beta->data : NULL, y->data, saved,
                saved + tasks, NULL, NULL, NULL, NULL};
    drift_parallel_for(tasks, gn_grain(x->numel / tasks), gn_forward_range, &j);
    drift_tensor *in[3] = {x, gamma, beta};
    drift_node *node = drift_graph_record(g, gn_backward, y, 3, in);
    if (node) {
        node->ctx = saved;
        node->iarg[0] = groups;
    }
    return y;
}
