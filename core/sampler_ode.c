/* sampler_ode.c: the samplers that integrate the probability-flow ODE (or
 * its SDE twin) with higher-order or adaptive steps: Euler and Heun on
 * sigma_VE (Karras et al. 2022), DPM-Solver++(2M) and its SDE variant in
 * the half log-SNR (Lu et al. 2022), and Dormand-Prince RK45 in log
 * sigma_VE. Work arrays r->w[0..10] are free here; w[11] holds the state. */
#include "sampler_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* den = x0_hat at level l for x in the sigma_VE view (the model sees alpha x). */
static drift_status denoise_ve(sampler_run *r, const sampler_level *l, const float *x, float *den)
{
    float *xm = r->w[2];
    for (size_t i = 0; i < r->n; i++)
        xm[i] = (float)(l->alpha * x[i]);
    return sampler_eval(r, l, xm, den, NULL);
}

static void scale(float *x, size_t n, double a)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(a * x[i]);
}

/* One Euler or Heun step from level i; x is in the sigma_VE view. */
static drift_status karras_step(sampler_run *r, float *x, int i, bool heun)
{
    const drift_sampler_options *o = r->o;
    int n = r->nlev - 1;
    float *den = r->w[0], *d = r->w[1], *z = r->w[3], *xn = r->w[4];
    sampler_level l = r->lev[i];
    double sg = sampler_sigma_ve(&l), sg_top = sampler_sigma_ve(&r->lev[0]);
    double next = i + 1 < n ? sampler_sigma_ve(&r->lev[i + 1]) : 0;
    double gamma = o->s_churn > 0 && sg >= o->s_tmin && sg <= o->s_tmax ? fmin(o->s_churn / n, sqrt(2.0) - 1) : 0;
    double sh = fmin(sg * (1 + gamma), sg_top);
    if (sh > sg) {
        sampler_noise(r, z);
        double sd = sqrt(sh * sh - sg * sg) * o->s_noise;
        for (size_t k = 0; k < r->n; k++)
            x[k] += (float)(sd * z[k]);
        l = sampler_level_at_sigma_ve(r->s, sh);
        sh = sampler_sigma_ve(&l);
    }
    drift_status st = denoise_ve(r, &l, x, den);
    if (st != DRIFT_OK)
        return st;
    if (next == 0) {
        memcpy(x, den, r->n * sizeof(float));
        return DRIFT_OK;
    }
    for (size_t k = 0; k < r->n; k++) {
        d[k] = (float)((x[k] - den[k]) / sh);
        xn[k] = (float)(x[k] + (next - sh) * d[k]);
    }
    if (heun) {
        st = denoise_ve(r, &r->lev[i + 1], xn, den);
        if (st != DRIFT_OK)
            return st;
        for (size_t k = 0; k < r->n; k++)
            xn[k] = (float)(x[k] + (next - sh) * 0.5 * (d[k] + (xn[k] - den[k]) / next));
    }
    memcpy(x, xn, r->n * sizeof(float));
    return DRIFT_OK;
}

drift_status sampler_run_karras(sampler_run *r, float *x, bool heun)
{
    int n = r->nlev - 1;
    scale(x, r->n, 1 / r->lev[0].alpha);
    for (int i = 0; i < n; i++) {
        drift_status st = karras_step(r, x, i, heun);
        if (st != DRIFT_OK)
            return st;
        sampler_progress(r, i + 1, n);
    }
    return DRIFT_OK;
}

/* DPM-Solver++(2M), data prediction, in h = hl_p - hl_t:
 *   ODE: x_p = sigma_p / sigma_t x - alpha_p expm1(-h) D
 *   SDE: x_p = sigma_p / sigma_t e^-h x - alpha_p expm1(-2h) D + sigma_p sqrt(-expm1(-2h)) z
 * with D = x0 + c (x0 - x0_prev), c = h / (2 h_prev) (0 on the first step).
 * The last step, onto clean data, is first order: x = x0. */
drift_status sampler_run_dpmpp(sampler_run *r, float *x, bool sde)
{
    float *d0 = r->w[0], *dold = r->w[1], *z = r->w[3];
    int n = r->nlev - 1;
    bool have_old = false;
    double h_last = 0;
    for (int i = 0; i < n; i++) {
        const sampler_level *l = &r->lev[i], *p = &r->lev[i + 1];
        drift_status st = sampler_eval(r, l, x, d0, NULL);
        if (st != DRIFT_OK)
            return st;
        double h = p->hl - l->hl;
        if (p->sigma == 0) {
            memcpy(x, d0, r->n * sizeof(float));
        } else {
            double c = have_old && h_last > 0 ? h / (2 * h_last) : 0;
            double cx = p->sigma / l->sigma, cd, sd = 0;
            if (sde) {
                double g = -expm1(-2 * h);
                cx *= exp(-h);
                cd = p->alpha * g;
                sd = p->sigma * sqrt(g);
                sampler_noise(r, z);
            } else {
                cd = -p->alpha * expm1(-h);
            }
            for (size_t k = 0; k < r->n; k++) { /* dold is unset before the second step */
                double dk = c != 0 ? d0[k] + c * ((double)d0[k] - dold[k]) : d0[k];
                x[k] = (float)(cx * x[k] + cd * dk + (sde ? sd * z[k] : 0));
            }
        }
        float *tmp = d0;
        d0 = dold;
        dold = tmp;
        have_old = true;
        h_last = h;
        sampler_progress(r, i + 1, n);
    }
    return DRIFT_OK;
}

/* ---- RK45 ---- */

/* Dormand-Prince 5(4): nodes, stages, 5th-order weights (the last stage
 * row) and the difference between the 5th- and 4th-order weights. */
static const double dp_c[7] = {0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1};
static const double dp_a[7][6] = {
    {0},
    {1.0 / 5},
    {3.0 / 40, 9.0 / 40},
    {44.0 / 45, -56.0 / 15, 32.0 / 9},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
    {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
};
static const double dp_e[7] = {71.0 / 57600,      0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200,
                               22.0 / 525, -1.0 / 40};

/* Per-sample integrator state in tau = -log sigma_VE, where
 * dy/dtau = x0_hat(y) - y for y = x / alpha. */
typedef struct rk_state {
    double *tau, *h;
    int *accepted, *active;
    double tau_end;
} rk_state;

/* Evaluates stage j for the `na` active samples: k_j = x0_hat(y_j) - y_j. */
static drift_status rk_stage(sampler_run *r, rk_state *rs, int na, int j, const float *y)
{
    size_t dim = r->dim;
    float *ys = r->w[7], *xin = r->w[9], *den = r->w[10];
    for (int q = 0; q < na; q++) {
        int b = rs->active[q];
        size_t off = (size_t)b * dim, po = (size_t)q * dim;
        double h = rs->h[b];
        for (size_t i = 0; i < dim; i++) {
            double v = y[off + i];
            for (int m = 0; m < j; m++)
                v += h * dp_a[j][m] * r->w[m][off + i];
            ys[po + i] = (float)v;
        }
        r->row_lev[q] = sampler_level_at_sigma_ve(r->s, exp(-(rs->tau[b] + dp_c[j] * h)));
        for (size_t i = 0; i < dim; i++)
            xin[po + i] = (float)(r->row_lev[q].alpha * ys[po + i]);
    }
    drift_status st = sampler_eval_rows(r, na, rs->active, xin, r->row_lev, NULL, den, NULL);
    for (int q = 0; st == DRIFT_OK && q < na; q++) {
        size_t off = (size_t)rs->active[q] * dim, po = (size_t)q * dim;
        for (size_t i = 0; i < dim; i++)
            r->w[j][off + i] = den[po + i] - ys[po + i];
    }
    return st;
}

/* Accepts or rejects sample b's attempted step; returns false when the
 * sample has taken more steps than allowed. */
static bool rk_update(sampler_run *r, rk_state *rs, int b, float *y)
{
    size_t dim = r->dim, off = (size_t)b * dim;
    float *ynew = r->w[8];
    double h = rs->h[b], sum = 0;
    for (size_t i = 0; i < dim; i++) {
        double v = y[off + i], e = 0;
        for (int m = 0; m < 6; m++)
            v += h * dp_a[6][m] * r->w[m][off + i];
        for (int m = 0; m < 7; m++)
            e += h * dp_e[m] * r->w[m][off + i];
        ynew[off + i] = (float)v;
        double tol = r->o->atol + r->o->rtol * fmax(fabs(y[off + i]), fabs(v));
        sum += (e / tol) * (e / tol);
    }
    double err = sqrt(sum / dim);
    double fac = err > 0 ? 0.9 * pow(err, -0.2) : 5;
    if (err <= 1) {
        rs->tau[b] += h;
        memcpy(y + off, ynew + off, dim * sizeof(float));
        memcpy(r->w[0] + off, r->w[6] + off, dim * sizeof(float)); /* first same as last */
        rs->accepted[b]++;
        fac = fmin(fac, 5);
    }
    fac = fmax(fac, 0.2);
    double left = rs->tau_end - rs->tau[b];
    rs->h[b] = fmin(h * fmin(fac, 5), left);
    return rs->accepted[b] <= r->o->steps;
}

static drift_status rk_integrate(sampler_run *r, rk_state *rs, float *y)
{
    drift_status st = DRIFT_OK;
    for (int round = 1; st == DRIFT_OK; round++) {
        int na = 0;
        for (int b = 0; b < r->batch; b++)
            if (rs->tau_end - rs->tau[b] > 1e-9)
                rs->active[na++] = b;
        if (na == 0)
            break;
        for (int j = 1; j < 7 && st == DRIFT_OK; j++)
            st = rk_stage(r, rs, na, j, y);
        for (int q = 0; q < na && st == DRIFT_OK; q++)
            if (!rk_update(r, rs, rs->active[q], y))
                st = drift_fail(DRIFT_ERR_NUMERIC, "rk45: sample %d needed more than %d steps (rtol %g, atol %g)",
                                rs->active[q], r->o->steps, r->o->rtol, r->o->atol);
        sampler_progress(r, round, 0);
    }
    return st;
}

drift_status sampler_run_rk45(sampler_run *r, float *x)
{
    int B = r->batch;
    rk_state rs;
    rs.tau = malloc((size_t)B * sizeof(double));
    rs.h = malloc((size_t)B * sizeof(double));
    rs.accepted = calloc((size_t)B, sizeof(int));
    rs.active = malloc((size_t)B * sizeof(int));
    drift_status st = DRIFT_OK;
    if (!rs.tau || !rs.h || !rs.accepted || !rs.active)
        st = drift_fail(DRIFT_ERR_NOMEM, "rk45: out of memory for %d samples", B);
    const sampler_level top = r->lev[0], bottom = sampler_level_at(r->s, 0);
    double tau0 = -log(sampler_sigma_ve(&top));
    rs.tau_end = -log(sampler_sigma_ve(&bottom));
    for (int b = 0; st == DRIFT_OK && b < B; b++) {
        rs.tau[b] = tau0;
        rs.h[b] = 0.05 * (rs.tau_end - tau0);
        rs.active[b] = b;
    }
    if (st == DRIFT_OK) { /* k1 at the start, for every sample */
        scale(x, r->n, 1 / top.alpha);
        st = rk_stage(r, &rs, B, 0, x);
    }
    if (st == DRIFT_OK)
        st = rk_integrate(r, &rs, x);
    if (st == DRIFT_OK) { /* the final denoising step at sigma_min */
        float *den = r->w[0];
        st = denoise_ve(r, &bottom, x, den);
        memcpy(x, den, r->n * sizeof(float));
    }
    free(rs.tau);
    free(rs.h);
    free(rs.accepted);
    free(rs.active);
    return st;
}
