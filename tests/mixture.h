/* mixture.h: Gaussian-mixture data with its exact denoiser, for testing
 * and benchmarking drift's samplers without a network.
 *
 * For the VP forward process x_t = a x0 + s eps and data from a mixture of
 * diagonal Gaussians N(mu_k, var_k) with weights w_k, x_t is itself a
 * mixture of N(a mu_k, a^2 var_k + s^2), and E[x0 | x_t] is closed form:
 * posterior responsibilities of the components times their posterior means
 * mu_k + a var_k / (a^2 var_k + s^2) (x_t - a mu_k). A "factorized"
 * mixture is a product of independent 1-D mixtures, one per dimension. */
#ifndef DRIFT_TEST_MIXTURE_H
#define DRIFT_TEST_MIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "rng.h"
#include "sampler.h"

#define MIX_MAXK 6
#define MIX_MAXD 64

typedef struct mixture {
    int dim, k;
    bool factorized;
    /* joint: weights w[0][j], component j's mean and variance in dim d are
     * mu[d][j], var[d][j]. factorized: dimension d has its own weights w[d][j]. */
    double w[MIX_MAXD][MIX_MAXK], mu[MIX_MAXD][MIX_MAXK], var[MIX_MAXD][MIX_MAXK];
} mixture;

/* A 1-D mixture from k weights, means and standard deviations. */
void mixture_1d(mixture *m, int k, const double *w, const double *mu, const double *sd);
/* The 1-D mixture of dimension d (a factorized mixture's factor, or a joint
 * mixture's marginal). */
void mixture_marginal(const mixture *m, int d, mixture *out);

/* x0 = E[x0 | x_t = x] for one point x (dim) at VP level (a, s). */
void mixture_posterior_mean(const mixture *m, double a, double s, const float *x, float *x0);

/* The same in two parts, for many points at one level: the level's
 * per-component constants, then the posterior mean of a point. */
typedef struct mixture_coef {
    const mixture *m;
    double a, s;
    double logc[MIX_MAXD][MIX_MAXK], half_inv[MIX_MAXD][MIX_MAXK], amu[MIX_MAXD][MIX_MAXK], gain[MIX_MAXD][MIX_MAXK];
} mixture_coef;
void mixture_coefs(const mixture *m, double a, double s, mixture_coef *c);
void mixture_posterior_coefs(const mixture_coef *c, const float *x, float *x0);

/* n exact draws into x (n, dim). */
void mixture_draw(const mixture *m, drift_rng *r, int n, float *x);

/* The callback: answers with `cond` for conditional rows and `uncond` (or
 * cond when NULL) for unconditional ones, converted to `prediction`.
 * Counts calls and rows; checks that guided calls hold the conditional
 * rows first and the unconditional copies of the same rows after. */
typedef struct mixture_denoiser {
    const mixture *cond, *uncond;
    const drift_schedule *s;
    drift_prediction prediction;
    long calls, rows;
    int bad_layout; /* guided calls whose halves did not match */
    /* constants of the last level seen */
    bool cache_ok;
    float cache_t;
    mixture_coef cache;
} mixture_denoiser;

drift_status mixture_denoise_fn(void *user, int rows, size_t dim, const float *x, const float *t, const int *sample,
                                const unsigned char *uncond, float *pred);
/* A drift_denoiser over md (has_uncond set when md->uncond is not NULL). */
drift_denoiser mixture_denoiser_make(mixture_denoiser *md);

/* Component statistics of n 1-D values (m must be 1-D), each value given to
 * its most probable component: weights, means, variances. */
typedef struct mixture_est {
    double w[MIX_MAXK], mu[MIX_MAXD][MIX_MAXK], var[MIX_MAXD][MIX_MAXK];
} mixture_est;
/* Points x (n, m->dim) of a joint mixture; stride between points is m->dim. */
void mixture_estimate(const mixture *m, const float *x, int n, mixture_est *e);
/* Worst errors of an estimate: |dw|, |dmu|, |var/var_true - 1|. */
void mixture_errors(const mixture *m, const mixture_est *e, double *dw, double *dmu, double *dvar);

/* 1-D Wasserstein-1 distance between n values and a 1-D mixture, from
 * the quantiles: mean |x_(i) - F^-1((i - 1/2) / n)|. Sorts x in place. */
double mixture_w1(const mixture *m, float *x, int n);

#endif
