/* elbo.c: the DDPM variational bound (see elbo.h). */
#include "elbo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double log_cdf_normal(double z) /* log Phi(z), stable in both tails */
{
    if (z < -5)
        return log(0.5 * erfc(-z / M_SQRT2));
    return log1p(-0.5 * erfc(z / M_SQRT2));
}

double drift_discretized_gaussian_log_prob(double x, double mean, double sigma)
{
    const double half_bin = 1.0 / 255.0;
    double lo = (x - half_bin - mean) / sigma, hi = (x + half_bin - mean) / sigma;
    if (x < -0.999)
        return log_cdf_normal(hi);
    if (x > 0.999)
        return log_cdf_normal(-lo);
    /* Phi(hi) - Phi(lo), computed on the side of the mean that keeps precision */
    double p = lo > 0 ? 0.5 * (erfc(lo / M_SQRT2) - erfc(hi / M_SQRT2))
                      : 0.5 * (erfc(-hi / M_SQRT2) - erfc(-lo / M_SQRT2));
    return log(fmax(p, 1e-300));
}

typedef struct {
    const drift_schedule *sc;
    const drift_denoiser *d;
    size_t dim;
    int rows;
    float *xt, *pred, *x0hat, *tt;
    int *sample;
} elbo_state;

/* x0_hat for rows of x0 noised at the given (integer) timesteps. */
static drift_status predict_x0(elbo_state *st, const float *x0, int first, int n, const int *ts, drift_rng *rng)
{
    for (int i = 0; i < n; i++) {
        double a, s;
        drift_schedule_alpha_sigma(st->sc, ts[i], &a, &s);
        float *xt = st->xt + (size_t)i * st->dim;
        drift_rng_normal(rng, xt, st->dim);
        const float *x = x0 + (size_t)i * st->dim;
        for (size_t j = 0; j < st->dim; j++)
            xt[j] = (float)(a * x[j] + s * xt[j]);
        st->tt[i] = (float)ts[i];
        st->sample[i] = first + i;
    }
    drift_status s = st->d->fn(st->d->user, n, st->dim, st->xt, st->tt, st->sample, NULL, st->pred);
    for (int i = 0; s == DRIFT_OK && i < n; i++) {
        double a, sg;
        drift_schedule_alpha_sigma(st->sc, ts[i], &a, &sg);
        size_t off = (size_t)i * st->dim;
        drift_prediction_convert(st->d->prediction, a, sg, st->xt + off, st->pred + off, st->dim,
                                 st->x0hat + off, NULL, NULL);
    }
    return s;
}

/* KL(q(x_{t-1} | x_t, x0) || p(x_{t-1} | x_t)) in nats, equal variances:
 * the means differ only through x0, by the factor c0. */
static double kl_term(const drift_schedule *sc, int t, const float *x0, const float *x0hat, size_t dim)
{
    double ab = sc->alphas_cumprod[t], ab_prev = sc->alphas_cumprod[t - 1], beta = sc->betas[t];
    double c0 = sqrt(ab_prev) * beta / (1 - ab);
    double var = beta * (1 - ab_prev) / (1 - ab);
    double d2 = 0;
    for (size_t j = 0; j < dim; j++) {
        double d = (double)x0[j] - x0hat[j];
        d2 += d * d;
    }
    return c0 * c0 * d2 / (2 * var);
}

drift_status drift_elbo_denoiser(const drift_schedule *sc, const drift_denoiser *d, const float *x0, int n,
                                 size_t dim, int t_samples, uint64_t seed, int batch, drift_elbo_result *out)
{
    memset(out, 0, sizeof *out);
    int T = sc->T;
    if (n < 1 || t_samples < 1 || batch < 1 || dim < 1)
        return drift_fail(DRIFT_ERR_ARG, "the bound needs data, t_samples >= 1 and batch >= 1");
    if (sc->zero_terminal_snr)
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "the bound is infinite with a zero-terminal-SNR schedule");
    if (t_samples > T - 1)
        t_samples = T - 1;
    elbo_state st = {sc, d, dim, batch, NULL, NULL, NULL, NULL, NULL};
    drift_status s = DRIFT_OK;
    size_t rows = (size_t)batch * st.dim;
    st.xt = malloc(rows * sizeof(float));
    st.pred = malloc(rows * sizeof(float));
    st.x0hat = malloc(rows * sizeof(float));
    st.tt = malloc((size_t)batch * sizeof(float));
    st.sample = malloc((size_t)batch * sizeof(int));
    int *ts = malloc((size_t)batch * sizeof(int));
    if (!st.xt || !st.pred || !st.x0hat || !st.tt || !st.sample || !ts)
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory for the bound");
    drift_rng rng;
    drift_rng_init(&rng, seed, 0x656c626fu);
    double prior = 0, diffusion = 0, decoder = 0;
    double ab_T = sc->alphas_cumprod[T - 1];
    for (int first = 0; s == DRIFT_OK && first < n; first += batch) {
        int b = n - first < batch ? n - first : batch;
        const float *x = x0 + (size_t)first * st.dim;
        for (int i = 0; i < b; i++) /* L_T: KL(N(sqrt(ab) x, 1-ab) || N(0, 1)) */
            for (size_t j = 0; j < st.dim; j++) {
                double mu = sqrt(ab_T) * x[(size_t)i * st.dim + j], var = 1 - ab_T;
                prior += 0.5 * (var + mu * mu - 1 - log(var));
            }
        /* L_0 at t = 0: decoder with the model's x0 estimate as mean */
        for (int i = 0; i < b; i++)
            ts[i] = 0;
        s = predict_x0(&st, x, first, b, ts, &rng);
        double sigma0 = sqrt(sc->betas[0]);
        for (int i = 0; s == DRIFT_OK && i < b; i++)
            for (size_t j = 0; j < st.dim; j++) {
                size_t k = (size_t)i * st.dim + j;
                decoder -= drift_discretized_gaussian_log_prob(x[k], st.x0hat[k], sigma0);
            }
        /* L_t, 1 <= t <= T-1: t_samples strata, one random t in each */
        for (int k = 0; s == DRIFT_OK && k < t_samples; k++) {
            double lo = 1 + (double)(T - 1) * k / t_samples, hi = 1 + (double)(T - 1) * (k + 1) / t_samples;
            for (int i = 0; i < b; i++) {
                int t = (int)(lo + drift_rng_uniform(&rng) * (hi - lo));
                ts[i] = t < 1 ? 1 : (t > T - 1 ? T - 1 : t);
            }
            s = predict_x0(&st, x, first, b, ts, &rng);
            for (int i = 0; s == DRIFT_OK && i < b; i++)
                diffusion += kl_term(sc, ts[i], x + (size_t)i * st.dim, st.x0hat + (size_t)i * st.dim, st.dim) *
                             (double)(T - 1) / t_samples;
        }
    }
    if (s == DRIFT_OK) {
        double per = 1.0 / ((double)n * st.dim * M_LN2);
        out->prior_bpd = prior * per;
        out->diffusion_bpd = diffusion * per;
        out->decoder_bpd = decoder * per;
        out->bpd = out->prior_bpd + out->diffusion_bpd + out->decoder_bpd;
    }
    free(st.xt); free(st.pred); free(st.x0hat); free(st.tt); free(st.sample); free(ts);
    return s;
}

drift_status drift_elbo(drift_model *m, const float *x0, int n, const int *spatial, const int *class_ids,
                        int t_samples, uint64_t seed, int batch, drift_elbo_result *out)
{
    drift_model_denoiser *md;
    drift_denoiser d;
    drift_sample_cond cond = {class_ids, NULL, NULL};
    drift_status s = drift_model_denoiser_create(m, spatial, n, &cond, batch, &md, &d);
    if (s != DRIFT_OK)
        return s;
    s = drift_elbo_denoiser(&m->sched, &d, x0, n, drift_model_sample_dim(m, spatial), t_samples, seed, batch, out);
    drift_model_denoiser_free(md);
    return s;
}
