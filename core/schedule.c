/* schedule.c: beta schedules, zero-terminal-SNR rescaling, the continuous
 * log-SNR view and the forward process (see schedule.h). */
#include "schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCHEDULE_MAX_T 100000

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static void linear_betas(double *b, int T)
{
    for (int i = 0; i < T; i++)
        b[i] = 1e-4 + (0.02 - 1e-4) * i / (T - 1);
}

static double cosine_f(double u)
{
    const double s = 0.008;
    double c = cos((u + s) / (1 + s) * M_PI / 2);
    return c * c;
}

static void cosine_betas(double *b, int T)
{
    for (int i = 0; i < T; i++) {
        double beta = 1 - cosine_f((double)(i + 1) / T) / cosine_f((double)i / T);
        b[i] = beta < 0.999 ? beta : 0.999;
    }
}

static void sigmoid_betas(double *b, int T)
{
    for (int i = 0; i < T; i++)
        b[i] = 1e-4 + (0.02 - 1e-4) * sigmoid(-6 + 12.0 * i / (T - 1));
}

/* Lin et al. 2023, algorithm 1: shift and scale sqrt(alpha_bar) so that the
 * first value is kept and the last becomes 0, then recover the betas. */
static void rescale_zero_terminal_snr(drift_schedule *s)
{
    int T = s->T;
    double *ab = s->alphas_cumprod;
    double first = sqrt(ab[0]), last = sqrt(ab[T - 1]);
    for (int i = 0; i < T; i++) {
        double r = (sqrt(ab[i]) - last) * first / (first - last);
        ab[i] = r * r;
    }
    ab[T - 1] = 0;
    s->betas[0] = 1 - ab[0];
    for (int i = 1; i < T; i++)
        s->betas[i] = 1 - ab[i] / ab[i - 1];
}

static drift_status schedule_alloc(drift_schedule *s, int T)
{
    memset(s, 0, sizeof *s);
    if (T < 2 || T > SCHEDULE_MAX_T)
        return drift_fail(DRIFT_ERR_ARG, "schedule: num_train_timesteps must be in [2, %d], got %d",
                          SCHEDULE_MAX_T, T);
    s->T = T;
    s->betas = malloc((size_t)T * sizeof(double));
    s->alphas_cumprod = malloc((size_t)T * sizeof(double));
    s->log_snr = malloc((size_t)T * sizeof(double));
    if (!s->betas || !s->alphas_cumprod || !s->log_snr) {
        drift_schedule_free(s);
        return drift_fail(DRIFT_ERR_NOMEM, "schedule: out of memory for %d steps", T);
    }
    return DRIFT_OK;
}

/* alphas_cumprod and log_snr from betas (and the optional rescale). */
static void schedule_finish(drift_schedule *s, bool zero_terminal_snr)
{
    double prod = 1;
    for (int i = 0; i < s->T; i++) {
        prod *= 1 - s->betas[i];
        s->alphas_cumprod[i] = prod;
    }
    s->zero_terminal_snr = zero_terminal_snr;
    if (zero_terminal_snr)
        rescale_zero_terminal_snr(s);
    for (int i = 0; i < s->T; i++) {
        double ab = s->alphas_cumprod[i];
        s->log_snr[i] = ab > 0 ? log(ab) - log1p(-ab) : -INFINITY;
    }
}

drift_status drift_schedule_init_betas(drift_schedule *s, const double *betas, int T, bool zero_terminal_snr)
{
    drift_status st = schedule_alloc(s, T);
    if (st != DRIFT_OK)
        return st;
    for (int i = 0; i < T; i++) {
        if (!(betas[i] > 0 && betas[i] < 1)) {
            double bad = betas[i];
            drift_schedule_free(s);
            return drift_fail(DRIFT_ERR_ARG, "schedule: beta[%d] = %g is not in (0, 1)", i, bad);
        }
        s->betas[i] = betas[i];
    }
    s->kind = DRIFT_BETA_LINEAR;
    schedule_finish(s, zero_terminal_snr);
    return DRIFT_OK;
}

drift_status drift_schedule_init(drift_schedule *s, drift_beta_schedule kind, int T, bool zero_terminal_snr)
{
    if (kind != DRIFT_BETA_LINEAR && kind != DRIFT_BETA_COSINE && kind != DRIFT_BETA_SIGMOID) {
        memset(s, 0, sizeof *s);
        return drift_fail(DRIFT_ERR_ARG, "schedule: unknown beta schedule %d", (int)kind);
    }
    drift_status st = schedule_alloc(s, T);
    if (st != DRIFT_OK)
        return st;
    if (kind == DRIFT_BETA_LINEAR)
        linear_betas(s->betas, T);
    else if (kind == DRIFT_BETA_COSINE)
        cosine_betas(s->betas, T);
    else
        sigmoid_betas(s->betas, T);
    s->kind = kind;
    schedule_finish(s, zero_terminal_snr);
    return DRIFT_OK;
}

void drift_schedule_free(drift_schedule *s)
{
    if (!s)
        return;
    free(s->betas);
    free(s->alphas_cumprod);
    free(s->log_snr);
    s->betas = s->alphas_cumprod = s->log_snr = NULL;
}

static const char *const beta_names[] = {"linear", "cosine", "sigmoid"};

const char *drift_beta_schedule_name(drift_beta_schedule kind)
{
    return (unsigned)kind < 3 ? beta_names[kind] : "unknown";
}

drift_status drift_beta_schedule_parse(const char *name, drift_beta_schedule *kind)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, beta_names[i]) == 0) {
            *kind = (drift_beta_schedule)i;
            return DRIFT_OK;
        }
    if (name && strcmp(name, "squaredcos_cap_v2") == 0) {
        *kind = DRIFT_BETA_COSINE;
        return DRIFT_OK;
    }
    return drift_fail(DRIFT_ERR_ARG, "unknown beta schedule '%s' (valid: linear, cosine, sigmoid)",
                      name ? name : "(null)");
}

/* Splits clamped t into segment index i (t in [i, i+1]) and fraction f. */
static void segment(const drift_schedule *s, double t, int *i, double *f)
{
    if (!(t > 0)) { /* also NaN */
        *i = 0;
        *f = 0;
        return;
    }
    if (t >= s->T - 1) {
        *i = s->T - 2;
        *f = 1;
        return;
    }
    *i = (int)t;
    *f = t - *i;
}

double drift_schedule_log_snr(const drift_schedule *s, double t)
{
    int i;
    double f;
    segment(s, t, &i, &f);
    double l0 = s->log_snr[i], l1 = s->log_snr[i + 1];
    if (f == 0)
        return l0;
    if (f == 1)
        return l1;
    if (isfinite(l1))
        return l0 + f * (l1 - l0);
    /* the zero-SNR segment: alpha_bar linear, so lambda stays finite */
    double ab = (1 - f) * s->alphas_cumprod[i];
    return log(ab) - log1p(-ab);
}

double drift_schedule_alpha_bar(const drift_schedule *s, double t) { return sigmoid(drift_schedule_log_snr(s, t)); }

void drift_schedule_alpha_sigma(const drift_schedule *s, double t, double *alpha, double *sigma)
{
    double l = drift_schedule_log_snr(s, t);
    if (alpha)
        *alpha = sqrt(sigmoid(l));
    if (sigma)
        *sigma = sqrt(sigmoid(-l));
}

double drift_schedule_sigma_ve(const drift_schedule *s, double t)
{
    return exp(-0.5 * drift_schedule_log_snr(s, t));
}

double drift_schedule_t_of_log_snr(const drift_schedule *s, double lambda)
{
    const double *ls = s->log_snr;
    int T = s->T;
    if (isnan(lambda) || lambda >= ls[0])
        return 0;
    if (lambda <= ls[T - 1])
        return T - 1;
    int lo = 0, hi = T - 1; /* ls[lo] > lambda > ls[hi] */
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (ls[mid] > lambda)
            lo = mid;
        else
            hi = mid;
    }
    if (ls[hi] == lambda)
        return hi;
    if (isfinite(ls[hi]))
        return lo + (ls[lo] - lambda) / (ls[lo] - ls[hi]);
    double ab = sigmoid(lambda);
    return lo + 1 - ab / s->alphas_cumprod[lo];
}

double drift_schedule_t_of_sigma_ve(const drift_schedule *s, double sigma_ve)
{
    if (!(sigma_ve > 0))
        return 0;
    return drift_schedule_t_of_log_snr(s, -2 * log(sigma_ve));
}

void drift_forward(const drift_schedule *s, double t, const float *x0, const float *eps, size_t n, float *xt)
{
    double a, sg;
    drift_schedule_alpha_sigma(s, t, &a, &sg);
    for (size_t i = 0; i < n; i++)
        xt[i] = (float)(a * x0[i] + sg * eps[i]);
}

void drift_forward_rng(const drift_schedule *s, double t, const float *x0, size_t n, drift_rng *r, float *eps_out,
                       float *xt)
{
    double a, sg;
    drift_schedule_alpha_sigma(s, t, &a, &sg);
    float chunk[256]; /* a multiple of 4: chunked fills equal one fill */
    for (size_t at = 0; at < n; at += 256) {
        size_t m = n - at < 256 ? n - at : 256;
        drift_rng_normal(r, chunk, m);
        for (size_t i = 0; i < m; i++) {
            if (eps_out)
                eps_out[at + i] = chunk[i];
            xt[at + i] = (float)(a * x0[at + i] + sg * chunk[i]);
        }
    }
}
