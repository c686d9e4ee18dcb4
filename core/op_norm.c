/* op_norm.c: group normalisation forward and backward (see op_norm.h).
 *
 * Work is split over (sample, group) pairs with drift_parallel_for. A
 * group's statistics come from one pass of sums centred on its first value
 * (so a large mean costs no accuracy), in short float blocks added up in
 * double. The mean is kept as that value plus a small offset, and x - mean
 * is formed as (x - first) - offset, so normalising stays accurate however
 * far the data sit from zero. Parameter gradients are summed per (sample,
 * channel) in the parallel part and over samples afterwards in a fixed
 * order, so the result does not depend on the thread count. */
#include "op_norm.h"

#include <math.h>

#include "op_elem.h"
#include "threads.h"

/* Per (sample, group): mean = shift + offset, and 1/sqrt(var + eps). */
typedef struct {
    float shift, offset, rstd;
} gn_stats;

typedef struct {
    int channels, groups;
    size_t positions;  /* elements per channel */
    float eps;
    const float *x, *gamma, *beta;
    float *y;
    bool silu;         /* y = silu(group norm), for graphs that record nothing */
    gn_stats *stats;   /* (N, groups), saved for backward */
    const float *gy;   /* backward only from here on */
    float *gx;         /* NULL if x needs no gradient */
    double *sum_gy, *sum_gy_xc; /* (N, C): sum gy and sum gy * (x - mean) per channel */
} gn_job;

/* su = sum (u - cu), suw = sum (u - cu) * ((w - cw) - cw2). The terms are
 * summed in float over 16 lanes for at most 16 blocks at a time (so that
 * the loop vectorises), and those partial sums in double. */
DRIFT_SIMD_CLONES static void centred_sums(const float *restrict u, float cu, const float *restrict w,
                                           float cw, float cw2, size_t n, double *su, double *suw)
{
    enum { LANES = 16, FLUSH = 16 * LANES };
    double sa = 0, sb = 0;
    size_t i = 0;
    while (i + LANES <= n) {
        float a[LANES] = {0}, b[LANES] = {0};
        size_t end = i + FLUSH < n ? i + FLUSH : n;
        for (; i + LANES <= end; i += LANES)
            for (int k = 0; k < LANES; k++) {
                float du = u[i + k] - cu;
                a[k] += du;
                b[k] += du * ((w[i + k] - cw) - cw2);
            }
        for (int k = 0; k < LANES; k++) {
            sa += a[k];
            sb += b[k];
        }
    }
    for (; i < n; i++) {
        float du = u[i] - cu;
        sa += du;
        sb += (double)du * ((w[i] - cw) - cw2);
    }
    *su = sa;
    *suw = sb;
}

/* Loops of fixed-length blocks over restrict pointers vectorise at -O2. */
#define GN_BLOCK 16

/* y = (x - mean) * a + b, or silu of that: the same arithmetic as
 * drift_silu applied to the normalised tensor, so the fused and the
 * two-operator paths agree bit for bit. */
DRIFT_SIMD_CLONES static void normalise(const float *restrict x, gn_stats st, float a, float b, bool silu,
                                        float *restrict y, size_t n)
{
    size_t i = 0;
    if (silu) {
        for (; i + GN_BLOCK <= n; i += GN_BLOCK)
            for (int k = 0; k < GN_BLOCK; k++) {
                float z = ((x[i + k] - st.shift) - st.offset) * a + b;
                y[i + k] = z / (1.0f + drift_fast_expf(-z));
            }
        for (; i < n; i++) {
            float z = ((x[i] - st.shift) - st.offset) * a + b;
            y[i] = z / (1.0f + drift_fast_expf(-z));
        }
        return;
    }
    for (; i + GN_BLOCK <= n; i += GN_BLOCK)
        for (int k = 0; k < GN_BLOCK; k++)
            y[i + k] = ((x[i + k] - st.shift) - st.offset) * a + b;
    for (; i < n; i++)
        y[i] = ((x[i] - st.shift) - st.offset) * a + b;
}

/* gx += gy * k1 + (x - mean) * k2 + k3 */
DRIFT_SIMD_CLONES static void add_input_grad(const float *restrict gy, float k1, const float *restrict x,
                                             gn_stats st, float k2, float k3, float *restrict gx, size_t n)
{
    size_t i = 0;
    for (; i + GN_BLOCK <= n; i += GN_BLOCK)
        for (int k = 0; k < GN_BLOCK; k++)
            gx[i + k] += gy[i + k] * k1 + ((x[i + k] - st.shift) - st.offset) * k2 + k3;
    for (; i < n; i++)
        gx[i] += gy[i] * k1 + ((x[i] - st.shift) - st.offset) * k2 + k3;
}

static void gn_forward_range(void *p, size_t lo, size_t hi)
{
    const gn_job *j = p;
    int cg = j->channels / j->groups;
    size_t m = (size_t)cg * j->positions;
    for (size_t t = lo; t < hi; t++) {
        const float *x = j->x + t * m;
        double s, s2;
        centred_sums(x, x[0], x, x[0], 0.0f, m, &s, &s2);
        double off = s / (double)m, var = fmax(s2 / (double)m - off * off, 0.0);
        gn_stats st = {x[0], (float)off, (float)(1.0 / sqrt(var + j->eps))};
        j->stats[t] = st;
        int c0 = (int)(t % (size_t)j->groups) * cg;
        for (int c = 0; c < cg; c++) {
            float a = st.rstd * (j->gamma ? j->gamma[c0 + c] : 1.0f);
            size_t at = (size_t)c * j->positions;
            normalise(x + at, st, a, j->beta ? j->beta[c0 + c] : 0.0f, j->silu, j->y + t * m + at, j->positions);
        }
    }
}

/* With xhat = (x - mean) * rstd, dy' = gy * gamma and M elements per group:
 * gx = rstd * (dy' - mean(dy') - xhat * mean(dy' * xhat)), written per
 * channel as gx += gy * k1 + (x - mean) * k2 + k3. */
static void gn_backward_range(void *p, size_t lo, size_t hi)
{
    const gn_job *j = p;
    int cg = j->channels / j->groups;
    size_t P = j->positions, m = (size_t)cg * P;
    for (size_t t = lo; t < hi; t++) {
        size_t n = t / (size_t)j->groups;
        int c0 = (int)(t % (size_t)j->groups) * cg;
        gn_stats st = j->stats[t];
        double rstd = st.rstd, a = 0, b = 0;
        for (int c = 0; c < cg; c++) {
            size_t nc = n * (size_t)j->channels + (size_t)(c0 + c), at = t * m + (size_t)c * P;
            centred_sums(j->gy + at, 0.0f, j->x + at, st.shift, st.offset, P, &j->sum_gy[nc],
                         &j->sum_gy_xc[nc]);
            double gam = j->gamma ? j->gamma[c0 + c] : 1.0;
            a += gam * j->sum_gy_xc[nc] * rstd; /* sum dy' * xhat */
            b += gam * j->sum_gy[nc];           /* sum dy' */
        }
        if (!j->gx)
            continue;
        float k2 = (float)(-rstd * rstd * a / (double)m), k3 = (float)(-rstd * b / (double)m);
        for (int c = 0; c < cg; c++) {
            float k1 = st.rstd * (j->gamma ? j->gamma[c0 + c] : 1.0f);
            size_t at = t * m + (size_t)c * P;
            add_input_grad(j->gy + at, k1, j->x + at, st, k2, k3, j->gx + at, P);
        }
    }
}

/* Adds the per-sample channel sums into gamma's and beta's gradients in
 * sample order. */
static void gn_param_grads(const gn_job *j, int batch, float *ggamma, float *gbeta)
{
    int cg = j->channels / j->groups;
    for (int c = 0; c < j->channels; c++) {
        double sg = 0, sgx = 0;
        for (int n = 0; n < batch; n++) {
            size_t nc = (size_t)n * (size_t)j->channels + (size_t)c;
            sg += j->sum_gy[nc];
            sgx += j->sum_gy_xc[nc] * j->stats[(size_t)n * (size_t)j->groups + (size_t)(c / cg)].rstd;
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
    int batch = x->shape[0], groups = node->iarg[0];
    gn_job j = {x->shape[1], groups, drift_tensor_inner(x, 2), 0, x->data,
                gamma ? gamma->data : NULL, NULL, NULL, false, node->ctx, node->out->grad,
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

static drift_tensor *group_norm(drift_graph *g, drift_tensor *x, drift_tensor *gamma, drift_tensor *beta,
                                int groups, float eps, bool silu)
{
    if (!gn_check(g, x, gamma, beta, groups, eps))
        return NULL;
    int batch = x->shape[0];
    size_t tasks = (size_t)batch * (size_t)groups;
    gn_stats *saved = drift_graph_alloc(g, tasks * sizeof *saved);
    drift_tensor *y = saved ? drift_graph_tensor(g, x->ndim, x->shape) : NULL;
    if (!y)
        return NULL;
    gn_job j = {x->shape[1], groups, drift_tensor_inner(x, 2), eps, x->data,
                gamma ? gamma->data : NULL, beta ? beta->data : NULL, y->data, silu, saved,
                NULL, NULL, NULL, NULL};
    drift_parallel_for(tasks, gn_grain(x->numel / tasks), gn_forward_range, &j);
    if (silu)
        return y; /* the caller made sure nothing is recorded */
    drift_tensor *in[3] = {x, gamma, beta};
    drift_node *node = drift_graph_record(g, gn_backward, y, 3, in);
    if (node) {
        node->ctx = saved;
        node->iarg[0] = groups;
    }
    return y;
}

drift_tensor *drift_group_norm(drift_graph *g, drift_tensor *x, drift_tensor *gamma,
                               drift_tensor *beta, int groups, float eps)
{
    DRIFT_CHECK_INPUTS(g, x);
    return group_norm(g, x, gamma, beta, groups, eps, false);
}

drift_tensor *drift_group_norm_silu(drift_graph *g, drift_tensor *x, drift_tensor *gamma,
                                    drift_tensor *beta, int groups, float eps)
{
    DRIFT_CHECK_INPUTS(g, x);
    bool records = drift_graph_grad_enabled(g) && (drift_tensor_needs_grad(x) || drift_tensor_needs_grad(gamma) ||
                                                   drift_tensor_needs_grad(beta));
    if (records)
        return drift_silu(g, group_norm(g, x, gamma, beta, groups, eps, false));
    return group_norm(g, x, gamma, beta, groups, eps, true);
}
