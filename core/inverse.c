/* inverse.c: DDRM, RePaint and ILVR for the closed-form operators of
 * inverse.h, on flat (batch, C, H, W) arrays through a denoiser callback. */
#include "inverse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static const char *method_names[] = {"ddrm", "repaint", "ilvr"};

const char *drift_inverse_method_name(drift_inverse_method m)
{
    return (unsigned)m < 3 ? method_names[m] : "unknown";
}

drift_status drift_inverse_method_parse(const char *name, drift_inverse_method *m)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, method_names[i]) == 0) {
            *m = (drift_inverse_method)i;
            return DRIFT_OK;
        }
    return drift_fail(DRIFT_ERR_ARG, "unknown restoration method '%s' (known: ddrm, repaint, ilvr)",
                      name ? name : "(null)");
}

void drift_inverse_defaults(drift_inverse_options *o, drift_inverse_method method)
{
    memset(o, 0, sizeof *o);
    o->method = method;
    o->steps = method == DRIFT_INVERSE_DDRM ? 20 : 50;
    o->eta = 0.85;
    o->eta_b = 1.0;
    o->jump_length = 5;
    o->resample = method == DRIFT_INVERSE_REPAINT ? 4 : 1;
}

static int passes(const drift_inverse_options *o)
{
    return o->method == DRIFT_INVERSE_REPAINT ? o->resample : 1;
}

long drift_inverse_calls(const drift_inverse_options *o)
{
    long calls = o->steps;
    if (passes(o) > 1 && o->jump_length > 0)
        calls += (long)(passes(o) - 1) * o->jump_length * ((o->steps - 1) / o->jump_length);
    return calls;
}

size_t drift_inverse_measure_dim(const drift_inverse_op *op)
{
    size_t hw = (size_t)op->height * (size_t)op->width;
    if (op->kind == DRIFT_INVERSE_POOL && op->factor > 0)
        hw /= (size_t)op->factor * (size_t)op->factor;
    return (size_t)op->channels * hw;
}

drift_status drift_inverse_check(const drift_schedule *s, const drift_inverse_options *o, const drift_inverse_op *op)
{
    if (op->channels < 1 || op->height < 1 || op->width < 1)
        return drift_fail(DRIFT_ERR_ARG, "inverse problem: bad sample shape (%d, %d, %d)", op->channels, op->height,
                          op->width);
    if ((unsigned)op->kind > DRIFT_INVERSE_POOL)
        return drift_fail(DRIFT_ERR_ARG, "inverse problem: unknown operator %d", (int)op->kind);
    if (op->kind == DRIFT_INVERSE_MASK && !op->keep)
        return drift_fail(DRIFT_ERR_ARG, "inverse problem: the mask operator needs a keep mask");
    if (op->kind == DRIFT_INVERSE_POOL &&
        (op->factor < 1 || op->height % op->factor != 0 || op->width % op->factor != 0))
        return drift_fail(DRIFT_ERR_ARG, "inverse problem: pooling factor %d does not divide %d x %d", op->factor,
                          op->height, op->width);
    if ((unsigned)o->method > DRIFT_INVERSE_ILVR)
        return drift_fail(DRIFT_ERR_ARG, "inverse problem: unknown method %d", (int)o->method);
    if (o->steps < 1 || o->steps > 100000)
        return drift_fail(DRIFT_ERR_ARG, "inverse problem: steps must be in 1..100000, got %d", o->steps);
    if (!(o->sigma_y >= 0) || !isfinite(o->sigma_y))
        return drift_fail(DRIFT_ERR_ARG, "inverse problem: sigma_y must be >= 0, got %g", o->sigma_y);
    if (o->method != DRIFT_INVERSE_DDRM && o->sigma_y > 0)
        return drift_fail(DRIFT_ERR_ARG, "%s needs exact measurements (sigma_y = 0, got %g); use ddrm",
                          drift_inverse_method_name(o->method), o->sigma_y);
    if (!(o->eta >= 0 && o->eta <= 1) || !(o->eta_b >= 0 && o->eta_b <= 1))
        return drift_fail(DRIFT_ERR_ARG, "DDRM: eta and eta_b must be in [0, 1], got %g and %g", o->eta, o->eta_b);
    if (o->method == DRIFT_INVERSE_REPAINT && (o->resample < 1 || o->jump_length < 1))
        return drift_fail(DRIFT_ERR_ARG, "RePaint: resample and jump_length must be >= 1, got %d and %d",
                          o->resample, o->jump_length);
    if (s->T < 2)
        return drift_fail(DRIFT_ERR_ARG, "inverse problem: the schedule has %d steps", s->T);
    return DRIFT_OK;
}

/* ---- the operators ---------------------------------------------------- */

/* Block means of one (C, H, W) sample: x -> m (C, H/f, W/f). */
static void pool_sample(const drift_inverse_op *op, const float *x, float *m)
{
    int f = op->factor, h = op->height / f, w = op->width / f;
    double inv = 1.0 / ((double)f * f);
    for (int c = 0; c < op->channels; c++)
        for (int by = 0; by < h; by++)
            for (int bx = 0; bx < w; bx++) {
                double sum = 0;
                for (int y = 0; y < f; y++) {
                    const float *row = x + ((size_t)c * op->height + (size_t)by * f + y) * op->width + (size_t)bx * f;
                    for (int i = 0; i < f; i++)
                        sum += row[i];
                }
                m[((size_t)c * h + by) * w + bx] = (float)(sum * inv);
            }
}

/* m (C, H/f, W/f) -> x (C, H, W), each value over its block. */
static void unpool_sample(const drift_inverse_op *op, const float *m, float *x)
{
    int f = op->factor, h = op->height / f, w = op->width / f;
    for (int c = 0; c < op->channels; c++)
        for (int y = 0; y < op->height; y++) {
            const float *src = m + ((size_t)c * h + y / f) * w;
            float *row = x + ((size_t)c * op->height + y) * op->width;
            for (int i = 0; i < op->width; i++)
                row[i] = src[i / f];
        }
}

static size_t sample_dim(const drift_inverse_op *op)
{
    return (size_t)op->channels * op->height * op->width;
}

void drift_inverse_apply(const drift_inverse_op *op, int batch, const float *x, float *y)
{
    size_t dim = sample_dim(op), mdim = drift_inverse_measure_dim(op);
    for (int b = 0; b < batch; b++) {
        const float *xb = x + (size_t)b * dim;
        float *yb = y + (size_t)b * mdim;
        if (op->kind == DRIFT_INVERSE_POOL)
            pool_sample(op, xb, yb);
        else if (op->kind == DRIFT_INVERSE_MASK)
            for (size_t i = 0; i < dim; i++)
                yb[i] = op->keep[(size_t)b * dim + i] > 0.5f ? xb[i] : 0.0f;
        else
            memcpy(yb, xb, dim * sizeof(float));
    }
}

void drift_inverse_lift(const drift_inverse_op *op, int batch, const float *y, float *x)
{
    size_t dim = sample_dim(op), mdim = drift_inverse_measure_dim(op);
    drift_inverse_op one = *op;
    for (int b = 0; b < batch; b++) {
        if (op->kind == DRIFT_INVERSE_POOL) {
            unpool_sample(op, y + (size_t)b * mdim, x + (size_t)b * dim);
        } else {
            one.keep = op->keep ? op->keep + (size_t)b * dim : NULL;
            drift_inverse_apply(&one, 1, y + (size_t)b * mdim, x + (size_t)b * dim);
        }
    }
}

/* out = P x (batch, C, H, W): the projection onto H's row space. pool_tmp
 * holds one sample's block means. */
static void project(const drift_inverse_op *op, int batch, const float *x, float *pool_tmp, float *out)
{
    size_t dim = sample_dim(op);
    if (op->kind != DRIFT_INVERSE_POOL) {
        drift_inverse_op one = *op;
        for (int b = 0; b < batch; b++) {
            one.keep = op->keep ? op->keep + (size_t)b * dim : NULL;
            drift_inverse_apply(&one, 1, x + (size_t)b * dim, out + (size_t)b * dim);
        }
        return;
    }
    for (int b = 0; b < batch; b++) {
        pool_sample(op, x + (size_t)b * dim, pool_tmp);
        unpool_sample(op, pool_tmp, out + (size_t)b * dim);
    }
}

/* ---- run state -------------------------------------------------------- */

enum { W_Y, W_X, W_X0, W_PRED, W_Z, W_PX0, W_PXT, W_PZ, W_VP, W_COUNT };

typedef struct inv_run {
    const drift_schedule *s;
    const drift_denoiser *d;
    const drift_inverse_options *o;
    const drift_inverse_op *op;
    int batch;
    size_t dim, n;
    int nlev;
    double *t;          /* (nlev) model times, from t_max down to t_max / nlev */
    float *w[W_COUNT];  /* (batch, dim) each */
    float *tvec, *pool_tmp;
    int *sample;
    unsigned char *uncond;
    drift_rng *rng;
    long calls, total;
} inv_run;

static void run_free(inv_run *r)
{
    for (int i = 0; i < W_COUNT; i++)
        free(r->w[i]);
    free(r->t);
    free(r->tvec);
    free(r->pool_tmp);
    free(r->sample);
    free(r->uncond);
    free(r->rng);
}

static drift_status run_alloc(inv_run *r, int batch)
{
    size_t n = r->n;
    bool ok = true;
    for (int i = 0; i < W_COUNT; i++)
        ok = ok && (r->w[i] = malloc(n * sizeof(float))) != NULL;
    r->t = malloc((size_t)r->nlev * sizeof(double));
    r->tvec = malloc((size_t)batch * sizeof(float));
    r->pool_tmp = malloc(r->dim * sizeof(float));
    r->sample = malloc((size_t)batch * sizeof(int));
    r->uncond = calloc((size_t)batch, 1);
    r->rng = malloc((size_t)batch * sizeof(drift_rng));
    if (!ok || !r->t || !r->tvec || !r->pool_tmp || !r->sample || !r->uncond || !r->rng)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for an inverse problem of %d x %zu values", batch, r->dim);
    for (int b = 0; b < batch; b++) {
        r->sample[b] = b;
        drift_rng_init(&r->rng[b], r->o->seed, r->o->streams ? r->o->streams[b] : r->o->stream0 + (uint64_t)b);
    }
    return DRIFT_OK;
}

/* The highest model time: T-1, or where sigma_VE reaches 4096. */
static double top_time(const drift_schedule *s)
{
    double t = drift_schedule_t_of_sigma_ve(s, 4096.0);
    return t < s->T - 1 ? t : s->T - 1;
}

/* Levels evenly spaced from t_max down, the last a step above clean data
 * (a call at t = 0 would return its input): one level is the data estimate
 * at t_max itself, for H = I the posterior mean at the measurement's noise. */
static void build_levels(inv_run *r, double t_max)
{
    for (int i = 0; i < r->nlev; i++)
        r->t[i] = t_max * (1.0 - (double)i / r->nlev);
}

/* sigma_VE of level i; 0 past the last level (clean data). */
static double level_sigma_ve(const inv_run *r, int i)
{
    return i < r->nlev ? drift_schedule_sigma_ve(r->s, r->t[i]) : 0.0;
}

static void level_alpha_sigma(const inv_run *r, int i, double *a, double *sg)
{
    if (i >= r->nlev) {
        *a = 1;
        *sg = 0;
        return;
    }
    drift_schedule_alpha_sigma(r->s, r->t[i], a, sg);
}

static void draw_noise(inv_run *r, float *z)
{
    for (int b = 0; b < r->batch; b++)
        drift_rng_normal(&r->rng[b], z + (size_t)b * r->dim, r->dim);
}

/* x0 (batch, dim) = the denoiser's data estimate at level i from the VP
 * state xvp. */
static drift_status estimate_x0(inv_run *r, int i, const float *xvp, float *x0)
{
    double a, sg;
    level_alpha_sigma(r, i, &a, &sg);
    for (int b = 0; b < r->batch; b++)
        r->tvec[b] = (float)r->t[i];
    float *pred = r->w[W_PRED];
    drift_status st = r->d->fn(r->d->user, r->batch, r->dim, xvp, r->tvec, r->sample, r->uncond, pred);
    if (st != DRIFT_OK)
        return st;
    drift_prediction_convert(r->d->prediction, a, sg, xvp, pred, r->n, x0, NULL, NULL);
    for (size_t k = 0; k < r->n; k++)
        if (!isfinite(x0[k]))
            return drift_fail(DRIFT_ERR_NUMERIC, "the denoiser gave a non-finite value at model time %.1f", r->t[i]);
    r->calls++;
    if (r->o->progress)
        r->o->progress(r->o->progress_user, (int)r->calls, (int)r->total);
    return DRIFT_OK;
}

/* ---- DDRM ------------------------------------------------------------- */

/* sigma_y in the units of the spectral coordinates: sigma_y / s_i. */
static double ddrm_sigma_eff(const inv_run *r)
{
    return r->o->sigma_y * (r->op->kind == DRIFT_INVERSE_POOL ? r->op->factor : 1);
}

/* One DDRM update from sigma (state x, VE) to sigma_next with the data
 * estimate x0 and fresh noise z; yp = H^+ y. */
static void ddrm_update(inv_run *r, double sigma, double sigma_next, float *x, const float *x0, const float *z,
                        const float *yp)
{
    const drift_inverse_options *o = r->o;
    float *px0 = r->w[W_PX0], *pxt = r->w[W_PXT], *pz = r->w[W_PZ];
    project(r->op, r->batch, x0, r->pool_tmp, px0);
    project(r->op, r->batch, x, r->pool_tmp, pxt);
    project(r->op, r->batch, z, r->pool_tmp, pz);
    double se = ddrm_sigma_eff(r), keep = sqrt(1 - o->eta * o->eta);
    double c_null = sigma > 0 ? keep * sigma_next / sigma : 0, n_null = o->eta * sigma_next;
    bool case2 = se > 0 && sigma_next < se;
    double c_y = case2 ? keep * sigma_next / se : o->eta_b;
    double gap = sigma_next * sigma_next - se * se * o->eta_b * o->eta_b;
    double n_meas = case2 ? o->eta * sigma_next : sqrt(gap > 0 ? gap : 0);
    for (size_t k = 0; k < r->n; k++) {
        double nx0 = x0[k] - px0[k], nxt = x[k] - pxt[k], nz = z[k] - pz[k];
        double null_part = nx0 + c_null * (nxt - nx0) + n_null * nz;
        double meas = px0[k] + c_y * (yp[k] - px0[k]) + n_meas * pz[k];
        x[k] = (float)(null_part + meas);
    }
}

static drift_status run_ddrm(inv_run *r, float *out)
{
    float *x = r->w[W_X], *x0 = r->w[W_X0], *z = r->w[W_Z], *yp = r->w[W_Y], *xvp = r->w[W_VP];
    double se = ddrm_sigma_eff(r), t_max = top_time(r->s);
    if (r->op->kind == DRIFT_INVERSE_IDENTITY) {
        if (se == 0) { /* nothing to restore */
            memcpy(out, yp, r->n * sizeof(float));
            return DRIFT_OK;
        }
        double t_y = drift_schedule_t_of_sigma_ve(r->s, se);
        t_max = t_y < t_max ? t_y : t_max;
    }
    build_levels(r, t_max);
    double s0 = level_sigma_ve(r, 0), gap = s0 * s0 - se * se;
    draw_noise(r, z);
    project(r->op, r->batch, z, r->pool_tmp, r->w[W_PZ]);
    for (size_t k = 0; k < r->n; k++) {
        float pz = r->w[W_PZ][k];
        x[k] = (float)(yp[k] + sqrt(gap > 0 ? gap : 0) * pz + s0 * (z[k] - pz));
    }
    for (int i = 0; i < r->nlev; i++) {
        double a, sg;
        level_alpha_sigma(r, i, &a, &sg);
        for (size_t k = 0; k < r->n; k++)
            xvp[k] = (float)(a * x[k]);
        drift_status st = estimate_x0(r, i, xvp, x0);
        if (st != DRIFT_OK)
            return st;
        if (i + 1 < r->nlev)
            draw_noise(r, z);
        else
            memset(z, 0, r->n * sizeof(float));
        ddrm_update(r, level_sigma_ve(r, i), level_sigma_ve(r, i + 1), x, x0, z, yp);
    }
    memcpy(out, x, r->n * sizeof(float));
    return DRIFT_OK;
}

/* ---- RePaint and ILVR ------------------------------------------------- */

/* x = (I - P) x + alpha yp + sigma P z: the measured part replaced by the
 * forward-noised measurement at level (alpha, sigma). */
static void replace_measured(inv_run *r, double alpha, double sigma, float *x)
{
    float *z = r->w[W_Z], *px = r->w[W_PXT], *pz = r->w[W_PZ];
    const float *yp = r->w[W_Y];
    draw_noise(r, z);
    project(r->op, r->batch, x, r->pool_tmp, px);
    project(r->op, r->batch, z, r->pool_tmp, pz);
    for (size_t k = 0; k < r->n; k++)
        x[k] = (float)(x[k] - px[k] + alpha * yp[k] + sigma * pz[k]);
}

/* One ancestral step from level i to i + 1 on the VP state x. */
static drift_status repaint_step(inv_run *r, int i, float *x)
{
    float *x0 = r->w[W_X0], *z = r->w[W_Z];
    drift_status st = estimate_x0(r, i, x, x0);
    if (st != DRIFT_OK)
        return st;
    double a, sg, ap, sp, var;
    level_alpha_sigma(r, i, &a, &sg);
    level_alpha_sigma(r, i + 1, &ap, &sp);
    if (i + 1 == r->nlev) {
        memcpy(x, x0, r->n * sizeof(float));
    } else {
        drift_ddpm_posterior(a, sg, ap, sp, DRIFT_DDPM_POSTERIOR, x, x0, r->n, x, &var);
        draw_noise(r, z);
        double sd = sqrt(var > 0 ? var : 0);
        for (size_t k = 0; k < r->n; k++)
            x[k] += (float)(sd * z[k]);
    }
    replace_measured(r, ap, i + 1 == r->nlev ? 0 : sp, x);
    return DRIFT_OK;
}

/* Re-noise x from level j back up to level j - jump. */
static void renoise(inv_run *r, int j, int up, float *x)
{
    double a, sg, au, su;
    level_alpha_sigma(r, j, &a, &sg);
    level_alpha_sigma(r, up, &au, &su);
    double ratio = au / a, v = su * su - ratio * ratio * sg * sg;
    double sd = sqrt(v > 0 ? v : 0);
    float *z = r->w[W_Z];
    draw_noise(r, z);
    for (size_t k = 0; k < r->n; k++)
        x[k] = (float)(ratio * x[k] + sd * z[k]);
}

static drift_status run_repaint(inv_run *r, float *out)
{
    float *x = r->w[W_X];
    build_levels(r, top_time(r->s));
    int *done = calloc((size_t)r->nlev + 1, sizeof(int));
    if (!done)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for RePaint's levels");
    double a0, s0;
    level_alpha_sigma(r, 0, &a0, &s0);
    draw_noise(r, x);
    for (size_t k = 0; k < r->n; k++)
        x[k] *= (float)s0;
    replace_measured(r, a0, s0, x);
    int jump = r->o->jump_length, npass = passes(r->o);
    drift_status st = DRIFT_OK;
    for (int i = 0; i < r->nlev && st == DRIFT_OK;) {
        st = repaint_step(r, i, x);
        int j = i + 1;
        if (npass > 1 && j < r->nlev && j >= jump && j % jump == 0 && ++done[j] < npass) {
            renoise(r, j, j - jump, x);
            i = j - jump;
        } else {
            i = j;
        }
    }
    free(done);
    if (st == DRIFT_OK)
        memcpy(out, x, r->n * sizeof(float));
    return st;
}

drift_status drift_inverse_solve(const drift_schedule *s, const drift_denoiser *d, const drift_inverse_options *o,
                                 const drift_inverse_op *op, int batch, const float *y, float *x)
{
    drift_status st = drift_inverse_check(s, o, op);
    if (st != DRIFT_OK)
        return st;
    if (batch < 1)
        return drift_fail(DRIFT_ERR_ARG, "inverse problem: batch must be >= 1, got %d", batch);
    inv_run r = {0};
    r.s = s;
    r.d = d;
    r.o = o;
    r.op = op;
    r.batch = batch;
    r.dim = sample_dim(op);
    r.n = (size_t)batch * r.dim;
    r.nlev = o->steps;
    r.total = drift_inverse_calls(o);
    st = run_alloc(&r, batch);
    if (st == DRIFT_OK) {
        drift_inverse_lift(op, batch, y, r.w[W_Y]);
        st = o->method == DRIFT_INVERSE_DDRM ? run_ddrm(&r, x) : run_repaint(&r, x);
    }
    run_free(&r);
    return st;
}
