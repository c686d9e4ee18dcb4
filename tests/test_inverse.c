/* test_inverse.c: core/inverse on Gaussian data with the exact denoiser.
 *
 * The data are 4 x 4 "images" from a correlated Gaussian N(mu, S) (a
 * squared-exponential kernel over pixel distance), whose denoiser
 * E[x0 | x_t] = mu + S a (a^2 S + s^2 I)^-1 (x_t - a mu) is exact. For a
 * linear measurement y = H x0 + sigma_y n the true posterior mean is
 * mu + S H^T (H S H^T + sigma_y^2 I)^-1 (y - H mu); the mean of many
 * restored samples must land on it (DDRM for denoising, inpainting and
 * 2x pooling; RePaint for inpainting; ILVR for pooling), much closer than
 * the prior mean is. Also: the operators against hand-computed values,
 * measured pixels kept exactly, batch-independent results, bad options. */
#include "drift.h"
#include "inverse.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SIDE 4
#define D (SIDE * SIDE)

typedef struct gauss {
    double mu[D], cov[D][D];
    double evec[D][D], eval[D]; /* cov = evec diag(eval) evec^T, eigenvectors in columns */
    const drift_schedule *s;
} gauss;

/* Symmetric eigendecomposition by cyclic Jacobi rotations. */
static void jacobi_eigen(double a[D][D], double v[D][D], double *w)
{
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++)
            v[i][j] = i == j;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0;
        for (int p = 0; p < D; p++)
            for (int q = p + 1; q < D; q++)
                off += a[p][q] * a[p][q];
        if (off < 1e-24)
            break;
        for (int p = 0; p < D; p++)
            for (int q = p + 1; q < D; q++) {
                if (fabs(a[p][q]) < 1e-300)
                    continue;
                double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), sn = t * c;
                for (int k = 0; k < D; k++) {
                    double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - sn * akq;
                    a[k][q] = sn * akp + c * akq;
                }
                for (int k = 0; k < D; k++) {
                    double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - sn * aqk;
                    a[q][k] = sn * apk + c * aqk;
                }
                for (int k = 0; k < D; k++) {
                    double vkp = v[k][p], vkq = v[k][q];
                    v[k][p] = c * vkp - sn * vkq;
                    v[k][q] = sn * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < D; i++)
        w[i] = a[i][i];
}

static void gauss_init(gauss *g, const drift_schedule *s)
{
    g->s = s;
    for (int i = 0; i < D; i++) {
        g->mu[i] = 0.3 * sin(i);
        for (int j = 0; j < D; j++) {
            double dy = i / SIDE - j / SIDE, dx = i % SIDE - j % SIDE;
            g->cov[i][j] = 0.5 * exp(-(dx * dx + dy * dy) / (2 * 1.2 * 1.2)) + (i == j ? 0.02 : 0);
        }
    }
    double a[D][D];
    memcpy(a, g->cov, sizeof a);
    jacobi_eigen(a, g->evec, g->eval);
}

/* Exact v-prediction of the Gaussian at VP level (a, s). */
static void gauss_predict(const gauss *g, double a, double s, const float *x, float *v)
{
    double proj[D], x0[D];
    for (int k = 0; k < D; k++) {
        double p = 0;
        for (int i = 0; i < D; i++)
            p += g->evec[i][k] * (x[i] - a * g->mu[i]);
        proj[k] = p * a * g->eval[k] / (a * a * g->eval[k] + s * s);
    }
    for (int i = 0; i < D; i++) {
        double v0 = g->mu[i];
        for (int k = 0; k < D; k++)
            v0 += g->evec[i][k] * proj[k];
        x0[i] = v0;
    }
    for (int i = 0; i < D; i++)
        v[i] = (float)(a * (x[i] - a * x0[i]) / s - s * x0[i]);
}

static drift_status gauss_fn(void *user, int rows, size_t dim, const float *x, const float *t, const int *sample,
                             const unsigned char *uncond, float *pred)
{
    const gauss *g = user;
    for (int r = 0; r < rows; r++) {
        double a, s;
        drift_schedule_alpha_sigma(g->s, t[r], &a, &s);
        gauss_predict(g, a, s, x + (size_t)r * dim, pred + (size_t)r * dim);
    }
    return DRIFT_OK;
}

/* Solves A x = b (n x n, partial pivoting); A and b are destroyed. */
static void solve(int n, double a[D][D], double *b)
{
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(a[r][c]) > fabs(a[p][c]))
                p = r;
        for (int k = 0; k < n; k++) {
            double tmp = a[c][k];
            a[c][k] = a[p][k];
            a[p][k] = tmp;
        }
        double tb = b[c];
        b[c] = b[p];
        b[p] = tb;
        for (int r = c + 1; r < n; r++) {
            double f = a[r][c] / a[c][c];
            for (int k = c; k < n; k++)
                a[r][k] -= f * a[c][k];
            b[r] -= f * b[c];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        for (int k = c + 1; k < n; k++)
            b[c] -= a[c][k] * b[k];
        b[c] /= a[c][c];
    }
}

/* The operator as a dense m x D matrix, built by applying it to unit vectors. */
static int dense_operator(const drift_inverse_op *op, double h[D][D])
{
    int m = (int)drift_inverse_measure_dim(op);
    float e[D], y[D];
    for (int j = 0; j < D; j++) {
        memset(e, 0, sizeof e);
        e[j] = 1;
        drift_inverse_apply(op, 1, e, y);
        for (int i = 0; i < m; i++)
            h[i][j] = y[i];
    }
    return m;
}

/* True posterior mean for y = H x0 + sigma_y n; rows of H that are all
 * zero (masked pixels) are measurements of nothing and are dropped. */
static void posterior_mean(const gauss *g, const drift_inverse_op *op, const float *y, double sigma_y, double *out)
{
    double h[D][D], hs[D][D], a[D][D], r[D];
    int m0 = dense_operator(op, h), rows[D], m = 0;
    for (int i = 0; i < m0; i++) {
        double norm = 0;
        for (int j = 0; j < D; j++)
            norm += fabs(h[i][j]);
        if (norm > 0)
            rows[m++] = i;
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < D; j++) {
            double v = 0;
            for (int k = 0; k < D; k++)
                v += h[rows[i]][k] * g->cov[k][j];
            hs[i][j] = v; /* (H S)_ij */
        }
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
            double v = 0;
            for (int k = 0; k < D; k++)
                v += hs[i][k] * h[rows[j]][k];
            a[i][j] = v + (i == j ? sigma_y * sigma_y : 0);
        }
        double hm = 0;
        for (int k = 0; k < D; k++)
            hm += h[rows[i]][k] * g->mu[k];
        r[i] = y[rows[i]] - hm;
    }
    solve(m, a, r);
    for (int j = 0; j < D; j++) {
        double v = g->mu[j];
        for (int i = 0; i < m; i++)
            v += hs[i][j] * r[i];
        out[j] = v;
    }
}

static void draw_truth(const gauss *g, uint64_t seed, float *x)
{
    drift_rng r;
    drift_rng_init(&r, seed, 0);
    float w[D];
    drift_rng_normal(&r, w, D);
    for (int i = 0; i < D; i++) {
        double v = g->mu[i];
        for (int k = 0; k < D; k++)
            v += g->evec[i][k] * sqrt(g->eval[k]) * w[k];
        x[i] = (float)v;
    }
}

typedef struct {
    const char *name;
    drift_inverse_method method;
    drift_inverse_op_kind kind;
    double sigma_y;
    int steps, resample, jump;
    double tol; /* largest allowed |mean - posterior mean| over the pixels */
    double gap_frac; /* or, for approximate methods, this fraction of the prior's distance */
} mean_case;

static double check_posterior_mean(const drift_schedule *s, gauss *g, const mean_case *mc, int n)
{
    float keep1[D], truth[D], y1[D];
    for (int i = 0; i < D; i++)
        keep1[i] = (i % 3 == 0 || i / SIDE == 0) ? 1.0f : 0.0f; /* top row and every third pixel */
    float *keep = malloc((size_t)n * D * sizeof(float)), *y = malloc((size_t)n * D * sizeof(float));
    float *x = malloc((size_t)n * D * sizeof(float));
    for (int b = 0; b < n; b++)
        memcpy(keep + (size_t)b * D, keep1, sizeof keep1);
    drift_inverse_op op = {mc->kind, 1, SIDE, SIDE, keep, 2};
    drift_inverse_op op1 = op;
    op1.keep = keep1;
    draw_truth(g, 99, truth);
    drift_inverse_apply(&op1, 1, truth, y1);
    size_t m = drift_inverse_measure_dim(&op);
    drift_rng nr;
    drift_rng_init(&nr, 5, 1);
    float noise[D];
    drift_rng_normal(&nr, noise, m);
    for (size_t i = 0; i < m; i++)
        y1[i] += (float)(mc->sigma_y * noise[i]);
    for (int b = 0; b < n; b++)
        memcpy(y + (size_t)b * m, y1, m * sizeof(float));
    drift_denoiser d = {gauss_fn, g, DRIFT_PRED_V, false};
    drift_inverse_options o;
    drift_inverse_defaults(&o, mc->method);
    o.steps = mc->steps;
    o.sigma_y = mc->sigma_y;
    o.seed = 17;
    if (mc->resample) {
        o.resample = mc->resample;
        o.jump_length = mc->jump;
    }
    drift_status st = drift_inverse_solve(s, &d, &o, &op, n, y, x);
    CHECK(st == DRIFT_OK, "%s: %s", mc->name, drift_last_error());
    double want[D], err = 0, prior_gap = 0;
    posterior_mean(g, &op1, y1, mc->sigma_y, want);
    for (int i = 0; i < D; i++) {
        double mean = 0;
        for (int b = 0; b < n; b++)
            mean += x[(size_t)b * D + i];
        mean /= n;
        err = fmax(err, fabs(mean - want[i]));
        prior_gap = fmax(prior_gap, fabs(g->mu[i] - want[i]));
    }
    printf("%-28s max |mean - posterior mean| %.4f (prior mean is %.4f away)\n", mc->name, err, prior_gap);
    double tol = mc->gap_frac > 0 ? mc->gap_frac * prior_gap : mc->tol;
    CHECK(err < tol, "%s: sample mean off the posterior mean by %.4f (tolerance %.3f)", mc->name, err, tol);
    CHECK(prior_gap > 5 * (mc->gap_frac > 0 ? 0.05 : mc->tol), "%s: the case must be able to fail (prior gap %.4f)", mc->name, prior_gap);
    if (mc->kind == DRIFT_INVERSE_MASK && mc->sigma_y == 0) {
        double kept = 0;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < D; i++)
                if (keep1[i] > 0.5f)
                    kept = fmax(kept, fabs(x[(size_t)b * D + i] - y1[i]));
        CHECK(kept < 1e-5, "%s: measured pixels kept (off by %g)", mc->name, kept);
    }
    free(keep);
    free(y);
    free(x);
    return err;
}

static void test_operators(void)
{
    float x[2 * 16], y[2 * 16], up[2 * 16];
    for (int i = 0; i < 32; i++)
        x[i] = (float)i;
    drift_inverse_op op = {DRIFT_INVERSE_POOL, 2, 4, 2, NULL, 2};
    CHECK(drift_inverse_measure_dim(&op) == 4, "pool measure dim");
    drift_inverse_apply(&op, 1, x, y);
    /* channel 0 is rows {0,1},{2,3},{4,5},{6,7}: means of 0,1,2,3 = 1.5 and 4..7 = 5.5 */
    CHECK(y[0] == 1.5f && y[1] == 5.5f && y[2] == 9.5f && y[3] == 13.5f, "pool values %g %g %g %g", y[0], y[1],
          y[2], y[3]);
    drift_inverse_lift(&op, 1, y, up);
    CHECK(up[0] == 1.5f && up[3] == 1.5f && up[4] == 5.5f && up[15] == 13.5f, "lift repeats each block mean");
    float keep[16] = {1, 0, 1, 0};
    drift_inverse_op mask = {DRIFT_INVERSE_MASK, 1, 4, 4, keep, 0};
    drift_inverse_apply(&mask, 1, x, y);
    CHECK(y[0] == 0 && y[1] == 0 && y[2] == 2 && y[3] == 0, "mask selects kept pixels");
}

static void test_batch_independent(const drift_schedule *s, gauss *g)
{
    enum { B = 4 };
    float keep[B * D], y[B * D], whole[B * D], part[2 * D];
    for (int i = 0; i < B * D; i++) {
        keep[i] = (i % 3) ? 1.0f : 0.0f; /* a different mask for each sample */
        y[i] = (float)sin(i);
    }
    drift_denoiser d = {gauss_fn, g, DRIFT_PRED_V, false};
    drift_inverse_op op = {DRIFT_INVERSE_MASK, 1, SIDE, SIDE, keep, 0};
    drift_inverse_options o;
    drift_inverse_defaults(&o, DRIFT_INVERSE_REPAINT);
    o.steps = 12;
    o.seed = 3;
    CHECK(drift_inverse_solve(s, &d, &o, &op, B, y, whole) == DRIFT_OK, "whole batch: %s", drift_last_error());
    op.keep = keep + 2 * D;
    o.stream0 = 2;
    CHECK(drift_inverse_solve(s, &d, &o, &op, 2, y + 2 * D, part) == DRIFT_OK, "half batch");
    CHECK(memcmp(whole + 2 * D, part, sizeof part) == 0, "samples 2, 3 identical alone and in a batch");
    CHECK(drift_inverse_calls(&o) == 12 + 3 * 5 * 2, "RePaint call count %ld", drift_inverse_calls(&o));
}

static void test_bad_options(const drift_schedule *s, gauss *g)
{
    float y[D] = {0}, x[D];
    drift_denoiser d = {gauss_fn, g, DRIFT_PRED_V, false};
    drift_inverse_op op = {DRIFT_INVERSE_POOL, 1, SIDE, SIDE, NULL, 3};
    drift_inverse_options o;
    drift_inverse_defaults(&o, DRIFT_INVERSE_DDRM);
    CHECK(drift_inverse_solve(s, &d, &o, &op, 1, y, x) == DRIFT_ERR_ARG && strstr(drift_last_error(), "3"),
          "factor 3 of 4 refused: %s", drift_last_error());
    op.factor = 2;
    o.steps = 0;
    CHECK(drift_inverse_solve(s, &d, &o, &op, 1, y, x) == DRIFT_ERR_ARG, "0 steps refused");
    drift_inverse_defaults(&o, DRIFT_INVERSE_REPAINT);
    o.sigma_y = 0.1;
    CHECK(drift_inverse_solve(s, &d, &o, &op, 1, y, x) == DRIFT_ERR_ARG && strstr(drift_last_error(), "ddrm"),
          "RePaint with noisy measurements refused: %s", drift_last_error());
    op.kind = DRIFT_INVERSE_MASK;
    o.sigma_y = 0;
    CHECK(drift_inverse_solve(s, &d, &o, &op, 1, y, x) == DRIFT_ERR_ARG, "mask without keep refused");
    drift_inverse_method m;
    CHECK(drift_inverse_method_parse("repaint", &m) == DRIFT_OK && m == DRIFT_INVERSE_REPAINT, "parse");
    CHECK(drift_inverse_method_parse("sr3", &m) == DRIFT_ERR_ARG && strstr(drift_last_error(), "ilvr"),
          "unknown method lists the known ones");
}

int main(void)
{
    drift_schedule s;
    if (drift_schedule_init(&s, DRIFT_BETA_COSINE, 1000, false) != DRIFT_OK)
        return 1;
    gauss g;
    gauss_init(&g, &s);
    int n = 2000;
    /* Monte Carlo error of the mean is at most ~0.75 / sqrt(n) < 0.017.
     * (n stays 2000 under DRIFT_TEST_LIGHT: the tolerances need it.)
     * Pooling has a measured subspace along which the denoiser is exact,
     * and DDRM and ILVR reproduce the posterior mean within Monte Carlo
     * error. For masks and for H = I, DDRM is an approximate posterior
     * sampler (its noise in the unmeasured pixels ignores the measured
     * ones): it must close at least 80% of the prior's distance (measured:
     * 84% for inpainting, 92% for denoising, at the default eta 0.85). RePaint
     * converges to the posterior as resampling grows: with 10 passes over
     * stretches of 2 levels it is within Monte Carlo error, and without
     * resampling it is measurably worse. */
    const mean_case cases[] = {
        {"DDRM denoise sigma_y 0.3", DRIFT_INVERSE_DDRM, DRIFT_INVERSE_IDENTITY, 0.3, 20, 0, 0, 0, 0.2},
        {"DDRM inpaint", DRIFT_INVERSE_DDRM, DRIFT_INVERSE_MASK, 0.0, 50, 0, 0, 0, 0.2},
        {"DDRM inpaint sigma_y 0.1", DRIFT_INVERSE_DDRM, DRIFT_INVERSE_MASK, 0.1, 50, 0, 0, 0, 0.2},
        {"DDRM 2x pooling", DRIFT_INVERSE_DDRM, DRIFT_INVERSE_POOL, 0.0, 50, 0, 0, 0.05, 0},
        {"DDRM 2x pooling sigma_y 0.05", DRIFT_INVERSE_DDRM, DRIFT_INVERSE_POOL, 0.05, 50, 0, 0, 0.05, 0},
        {"ILVR 2x pooling", DRIFT_INVERSE_ILVR, DRIFT_INVERSE_POOL, 0.0, 100, 0, 0, 0.05, 0},
        {"RePaint inpaint 10 passes", DRIFT_INVERSE_REPAINT, DRIFT_INVERSE_MASK, 0.0, 50, 10, 2, 0.05, 0},
        {"RePaint inpaint no resampling", DRIFT_INVERSE_REPAINT, DRIFT_INVERSE_MASK, 0.0, 50, 1, 2, 0, 0.4},
    };
    double errs[8];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        errs[i] = check_posterior_mean(&s, &g, &cases[i], n);
    CHECK(errs[7] > 2 * errs[6], "resampling helps RePaint: %.4f without, %.4f with", errs[7], errs[6]);
    test_operators();
    test_batch_independent(&s, &g);
    test_bad_options(&s, &g);
    drift_schedule_free(&s);
    return test_finish("test_inverse");
}
