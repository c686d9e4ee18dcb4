/* mixture.c: Gaussian mixtures and their exact denoiser (see mixture.h). */
#include "mixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mixture_1d(mixture *m, int k, const double *w, const double *mu, const double *sd)
{
    memset(m, 0, sizeof *m);
    m->dim = 1;
    m->k = k;
    for (int j = 0; j < k; j++) {
        m->w[0][j] = w[j];
        m->mu[0][j] = mu[j];
        m->var[0][j] = sd[j] * sd[j];
    }
}

void mixture_marginal(const mixture *m, int d, mixture *out)
{
    memset(out, 0, sizeof *out);
    out->dim = 1;
    out->k = m->k;
    for (int j = 0; j < m->k; j++) {
        out->w[0][j] = m->w[m->factorized ? d : 0][j];
        out->mu[0][j] = m->mu[d][j];
        out->var[0][j] = m->var[d][j];
    }
}

/* Normalised responsibilities r[k] from log-weights in place. */
static void softmax(double *r, int k)
{
    double mx = r[0], sum = 0;
    for (int j = 1; j < k; j++)
        mx = r[j] > mx ? r[j] : mx;
    for (int j = 0; j < k; j++)
        sum += (r[j] = exp(r[j] - mx));
    for (int j = 0; j < k; j++)
        r[j] /= sum;
}

/* Per (d, j) at level (a, s): x_t's component is N(a mu, V), V = a^2 var + s^2. */
void mixture_coefs(const mixture *m, double a, double s, mixture_coef *c)
{
    c->a = a;
    c->s = s;
    c->m = m;
    for (int d = 0; d < m->dim; d++)
        for (int j = 0; j < m->k; j++) {
            double v = a * a * m->var[d][j] + s * s;
            double lw = m->factorized || d == 0 ? log(m->w[m->factorized ? d : 0][j]) : 0;
            c->logc[d][j] = lw - 0.5 * log(2 * M_PI * v);
            c->half_inv[d][j] = 0.5 / v;
            c->amu[d][j] = a * m->mu[d][j];
            c->gain[d][j] = a * m->var[d][j] / v;
        }
}

static double comp_log(const mixture_coef *c, int d, int j, double x)
{
    double e = x - c->amu[d][j];
    return c->logc[d][j] - e * e * c->half_inv[d][j];
}

static double comp_mean(const mixture_coef *c, int d, int j, double x)
{
    return c->m->mu[d][j] + c->gain[d][j] * (x - c->amu[d][j]);
}

void mixture_posterior_coefs(const mixture_coef *c, const float *x, float *x0)
{
    const mixture *m = c->m;
    double r[MIX_MAXK];
    if (m->factorized) {
        for (int d = 0; d < m->dim; d++) {
            for (int j = 0; j < m->k; j++)
                r[j] = comp_log(c, d, j, x[d]);
            softmax(r, m->k);
            double out = 0;
            for (int j = 0; j < m->k; j++)
                out += r[j] * comp_mean(c, d, j, x[d]);
            x0[d] = (float)out;
        }
        return;
    }
    for (int j = 0; j < m->k; j++) {
        r[j] = 0;
        for (int d = 0; d < m->dim; d++)
            r[j] += comp_log(c, d, j, x[d]);
    }
    softmax(r, m->k);
    for (int d = 0; d < m->dim; d++) {
        double out = 0;
        for (int j = 0; j < m->k; j++)
            out += r[j] * comp_mean(c, d, j, x[d]);
        x0[d] = (float)out;
    }
}

void mixture_posterior_mean(const mixture *m, double a, double s, const float *x, float *x0)
{
    mixture_coef c;
    mixture_coefs(m, a, s, &c);
    mixture_posterior_coefs(&c, x, x0);
}

/* Log-density of x under a component of the data (a = 1, s = 0). */
static double comp_logpdf(double x, double mean, double var)
{
    return -0.5 * (log(2 * M_PI * var) + (x - mean) * (x - mean) / var);
}

static int pick(const double *w, int k, double u)
{
    for (int j = 0; j < k - 1; j++) {
        if (u < w[j])
            return j;
        u -= w[j];
    }
    return k - 1;
}

void mixture_draw(const mixture *m, drift_rng *r, int n, float *x)
{
    for (int i = 0; i < n; i++) {
        float g[MIX_MAXD];
        drift_rng_normal(r, g, (size_t)m->dim);
        int j = pick(m->w[0], m->k, drift_rng_uniform(r));
        for (int d = 0; d < m->dim; d++) {
            if (m->factorized)
                j = pick(m->w[d], m->k, drift_rng_uniform(r));
            x[(size_t)i * m->dim + d] = (float)(m->mu[d][j] + sqrt(m->var[d][j]) * g[d]);
        }
    }
}

drift_status mixture_denoise_fn(void *user, int rows, size_t dim, const float *x, const float *t, const int *sample,
                                const unsigned char *uncond, float *pred)
{
    mixture_denoiser *md = user;
    md->calls++;
    md->rows += rows;
    if (md->uncond && rows > 0 && uncond[rows - 1]) { /* a guided call: halves must pair up */
        int h = rows / 2;
        bool ok = rows % 2 == 0;
        for (int i = 0; ok && i < h; i++)
            ok = !uncond[i] && uncond[h + i] && sample[i] == sample[h + i] && t[i] == t[h + i] &&
                 memcmp(x + (size_t)i * dim, x + (size_t)(h + i) * dim, dim * sizeof(float)) == 0;
        md->bad_layout += !ok;
    }
    for (int i = 0; i < rows; i++) {
        const mixture *m = uncond[i] && md->uncond ? md->uncond : md->cond;
        if (!md->cache_ok || md->cache_t != t[i] || md->cache.m != m) {
            double a, s;
            drift_schedule_alpha_sigma(md->s, t[i], &a, &s);
            mixture_coefs(m, a, s, &md->cache);
            md->cache_t = t[i];
            md->cache_ok = true;
        }
        double a = md->cache.a, s = md->cache.s;
        const float *xi = x + (size_t)i * dim;
        float *pi = pred + (size_t)i * dim;
        mixture_posterior_coefs(&md->cache, xi, pi);
        for (size_t d = 0; d < dim; d++) {
            double x0 = pi[d], eps = (xi[d] - a * x0) / s;
            pi[d] = (float)(md->prediction == DRIFT_PRED_X0 ? x0 : md->prediction == DRIFT_PRED_EPS ? eps
                                                                                                     : a * eps - s * x0);
        }
    }
    return DRIFT_OK;
}

drift_denoiser mixture_denoiser_make(mixture_denoiser *md)
{
    drift_denoiser d = {mixture_denoise_fn, md, md->prediction, md->uncond != NULL};
    return d;
}

void mixture_estimate(const mixture *m, const float *x, int n, mixture_est *e)
{
    memset(e, 0, sizeof *e);
    int *lab = malloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) {
        double best = -INFINITY;
        for (int j = 0; j < m->k; j++) {
            double l = log(m->w[0][j]);
            for (int d = 0; d < m->dim; d++)
                l += comp_logpdf(x[(size_t)i * m->dim + d], m->mu[d][j], m->var[d][j]);
            if (l > best) {
                best = l;
                lab[i] = j;
            }
        }
        e->w[lab[i]] += 1;
        for (int d = 0; d < m->dim; d++)
            e->mu[d][lab[i]] += x[(size_t)i * m->dim + d];
    }
    for (int j = 0; j < m->k; j++)
        for (int d = 0; d < m->dim; d++)
            e->mu[d][j] /= e->w[j] > 0 ? e->w[j] : 1;
    for (int i = 0; i < n; i++)
        for (int d = 0; d < m->dim; d++) {
            double c = x[(size_t)i * m->dim + d] - e->mu[d][lab[i]];
            e->var[d][lab[i]] += c * c;
        }
    for (int j = 0; j < m->k; j++) {
        for (int d = 0; d < m->dim; d++)
            e->var[d][j] /= e->w[j] > 1 ? e->w[j] - 1 : 1;
        e->w[j] /= n;
    }
    free(lab);
}

void mixture_errors(const mixture *m, const mixture_est *e, double *dw, double *dmu, double *dvar)
{
    *dw = *dmu = *dvar = 0;
    for (int j = 0; j < m->k; j++) {
        *dw = fmax(*dw, fabs(e->w[j] - m->w[0][j]));
        for (int d = 0; d < m->dim; d++) {
            *dmu = fmax(*dmu, fabs(e->mu[d][j] - m->mu[d][j]));
            *dvar = fmax(*dvar, fabs(e->var[d][j] / m->var[d][j] - 1));
        }
    }
    if (isnan(*dw + *dmu + *dvar))
        *dw = *dmu = *dvar = INFINITY;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static double cdf(const mixture *m, double x)
{
    double c = 0;
    for (int j = 0; j < m->k; j++)
        c += m->w[0][j] * 0.5 * erfc(-(x - m->mu[0][j]) / sqrt(2 * m->var[0][j]));
    return c;
}

static double quantile(const mixture *m, double u)
{
    double lo = -1e3, hi = 1e3;
    for (int it = 0; it < 100; it++) {
        double mid = 0.5 * (lo + hi);
        if (cdf(m, mid) < u)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

double mixture_w1(const mixture *m, float *x, int n)
{
    qsort(x, (size_t)n, sizeof *x, cmp_float);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += fabs(x[i] - quantile(m, (i + 0.5) / n));
    return sum / n;
}
