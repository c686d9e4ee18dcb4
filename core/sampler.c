/* sampler.c: sampler names and options, the prediction conversion layer,
 * noise levels, the guided model call, and the stochastic VP samplers
 * (DDPM, DDIM, annealed Langevin, predictor-corrector). See sampler.h. */
#include "sampler_impl.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---- */

static const char *const sampler_names[DRIFT_SAMPLER_COUNT] = {
    "ddpm", "ddim", "euler", "heun", "dpm++2m", "dpm++2m-sde", "langevin", "pc", "rk45"};

const char *drift_sampler_name(drift_sampler_kind kind)
{
    return (unsigned)kind < DRIFT_SAMPLER_COUNT ? sampler_names[kind] : "unknown";
}

drift_status drift_sampler_parse(const char *name, drift_sampler_kind *kind)
{
    static const struct { const char *alias; drift_sampler_kind kind; } aliases[] = {
        {"dpmpp_2m", DRIFT_SAMPLER_DPMPP_2M},
        {"dpmpp_2m_sde", DRIFT_SAMPLER_DPMPP_2M_SDE},
        {"pfode-rk45", DRIFT_SAMPLER_PFODE_RK45},
    };
    for (int i = 0; name && i < DRIFT_SAMPLER_COUNT; i++)
        if (strcmp(name, sampler_names[i]) == 0) {
            *kind = (drift_sampler_kind)i;
            return DRIFT_OK;
        }
    for (size_t i = 0; name && i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].alias) == 0) {
            *kind = aliases[i].kind;
            return DRIFT_OK;
        }
    return drift_fail(DRIFT_ERR_ARG,
                      "unknown sampler '%s' (valid: ddpm, ddim, euler, heun, dpm++2m, dpm++2m-sde, langevin, pc, rk45)",
                      name ? name : "(null)");
}

static const char *const prediction_names[] = {"epsilon", "v_prediction", "sample"};

const char *drift_prediction_name(drift_prediction p)
{
    return (unsigned)p < 3 ? prediction_names[p] : "unknown";
}

drift_status drift_prediction_parse(const char *name, drift_prediction *p)
{
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, prediction_names[i]) == 0) {
            *p = (drift_prediction)i;
            return DRIFT_OK;
        }
    return drift_fail(DRIFT_ERR_ARG, "unknown prediction type '%s' (valid: epsilon, v_prediction, sample)",
                      name ? name : "(null)");
}

static const char *const spacing_names[] = {"default", "linspace", "leading", "trailing", "karras"};

const char *drift_spacing_name(drift_spacing sp) { return (unsigned)sp < 5 ? spacing_names[sp] : "unknown"; }

drift_status drift_spacing_parse(const char *name, drift_spacing *sp)
{
    for (int i = 0; name && i < 5; i++)
        if (strcmp(name, spacing_names[i]) == 0) {
            *sp = (drift_spacing)i;
            return DRIFT_OK;
        }
    return drift_fail(DRIFT_ERR_ARG, "unknown step spacing '%s' (valid: default, linspace, leading, trailing, karras)",
                      name ? name : "(null)");
}

/* ---- options ---- */

int drift_sampler_default_steps(drift_sampler_kind kind)
{
    static const int steps[DRIFT_SAMPLER_COUNT] = {1000, 100, 100, 25, 40, 100, 250, 1000, 1000};
    return (unsigned)kind < DRIFT_SAMPLER_COUNT ? steps[kind] : 0;
}

void drift_sampler_defaults(drift_sampler_options *o, drift_sampler_kind kind)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->steps = drift_sampler_default_steps(kind);
    o->spacing = DRIFT_SPACING_DEFAULT;
    o->karras_rho = 7;
    o->eta = 0;
    o->ddpm_variance = DRIFT_DDPM_POSTERIOR;
    o->s_churn = 0;
    o->s_tmin = 0;
    o->s_tmax = INFINITY;
    o->s_noise = 1;
    o->langevin_steps = kind == DRIFT_SAMPLER_LANGEVIN ? 10 : 1;
    o->snr = kind == DRIFT_SAMPLER_LANGEVIN ? 0.3 : 0.1;
    o->corrector = true;
    o->rtol = 1e-4;
    o->atol = 1e-4;
    o->guidance = 1;
    o->strength = 1;
    o->draws = 1;
}

static int draws_of(const drift_sampler_options *o)
{
    return o->draws > 1 ? o->draws : 1;
}

static long calls_per_draw(const drift_sampler_options *o)
{
    long n = o->steps;
    switch (o->kind) {
    case DRIFT_SAMPLER_HEUN: return 2 * n - 1;
    case DRIFT_SAMPLER_LANGEVIN: return n * o->langevin_steps + 1;
    case DRIFT_SAMPLER_PC: return n * (1 + (o->corrector ? o->langevin_steps : 0));
    case DRIFT_SAMPLER_PFODE_RK45: return -1;
    default: return n;
    }
}

long drift_sampler_calls(const drift_sampler_options *o)
{
    long n = calls_per_draw(o);
    return n < 0 ? n : n * draws_of(o);
}

static bool uses_sigma_ve(drift_sampler_kind k)
{
    return k == DRIFT_SAMPLER_EULER || k == DRIFT_SAMPLER_HEUN || k == DRIFT_SAMPLER_LANGEVIN ||
           k == DRIFT_SAMPLER_PC || k == DRIFT_SAMPLER_PFODE_RK45;
}

static drift_spacing resolve_spacing(const drift_sampler_options *o)
{
    if (o->spacing != DRIFT_SPACING_DEFAULT)
        return o->spacing;
    switch (o->kind) {
    case DRIFT_SAMPLER_HEUN:
    case DRIFT_SAMPLER_DPMPP_2M:
    case DRIFT_SAMPLER_DPMPP_2M_SDE: return DRIFT_SPACING_KARRAS;
    default: return DRIFT_SPACING_LINSPACE;
    }
}

static drift_status check_numbers(const drift_sampler_options *o)
{
    const char *name = drift_sampler_name(o->kind);
    if (o->steps < 1)
        return drift_fail(DRIFT_ERR_ARG, "%s: steps must be >= 1, got %d", name, o->steps);
    if (!(o->eta >= 0 && o->eta <= 1))
        return drift_fail(DRIFT_ERR_ARG, "%s: eta must be in [0, 1], got %g", name, o->eta);
    if (!(o->karras_rho > 0))
        return drift_fail(DRIFT_ERR_ARG, "%s: karras rho must be > 0, got %g", name, o->karras_rho);
    if (!(o->s_churn >= 0 && o->s_noise >= 0 && o->s_tmin <= o->s_tmax))
        return drift_fail(DRIFT_ERR_ARG, "%s: churn %g, s_noise %g must be >= 0 and s_tmin %g <= s_tmax %g", name,
                          o->s_churn, o->s_noise, o->s_tmin, o->s_tmax);
    bool langevin = o->kind == DRIFT_SAMPLER_LANGEVIN || (o->kind == DRIFT_SAMPLER_PC && o->corrector);
    if (langevin && o->langevin_steps < 1)
        return drift_fail(DRIFT_ERR_ARG, "%s: langevin_steps must be >= 1, got %d", name, o->langevin_steps);
    if (langevin && !(o->snr > 0 && o->snr < 10))
        return drift_fail(DRIFT_ERR_ARG, "%s: snr must be in (0, 10), got %g", name, o->snr);
    if (!(o->rtol > 0 && o->atol > 0))
        return drift_fail(DRIFT_ERR_ARG, "%s: rtol %g and atol %g must be > 0", name, o->rtol, o->atol);
    if (!(o->guidance >= 0 && isfinite(o->guidance)))
        return drift_fail(DRIFT_ERR_ARG, "%s: guidance scale must be finite and >= 0, got %g", name, o->guidance);
    if (!(o->strength > 0 && o->strength <= 1))
        return drift_fail(DRIFT_ERR_ARG, "%s: strength must be in (0, 1], got %g", name, o->strength);
    if (isnan(o->x0_min) || isnan(o->x0_max))
        return drift_fail(DRIFT_ERR_ARG, "%s: the x0 range [%g, %g] must be numbers", name, o->x0_min, o->x0_max);
    return DRIFT_OK;
}

static drift_status check_grid(const drift_schedule *s, const drift_sampler_options *o)
{
    drift_spacing sp = resolve_spacing(o);
    if ((unsigned)sp > DRIFT_SPACING_KARRAS)
        return drift_fail(DRIFT_ERR_ARG, "%s: unknown spacing %d", drift_sampler_name(o->kind), (int)sp);
    double span = o->strength * (s->T - 1) + 1;
    if ((sp == DRIFT_SPACING_LEADING || sp == DRIFT_SPACING_TRAILING) && o->steps > span)
        return drift_fail(DRIFT_ERR_ARG, "%s: %d steps with %s spacing need as many training steps, have %g",
                          drift_sampler_name(o->kind), o->steps, drift_spacing_name(sp), floor(span));
    return DRIFT_OK;
}

drift_status drift_sampler_check(const drift_schedule *s, const drift_denoiser *d, const drift_sampler_options *o,
                                 int batch, size_t dim)
{
    if (!s || !s->log_snr || !d || !d->fn || !o)
        return drift_fail(DRIFT_ERR_ARG, "sampler: missing schedule, denoiser callback or options");
    if ((unsigned)o->kind >= DRIFT_SAMPLER_COUNT)
        return drift_fail(DRIFT_ERR_ARG, "sampler: unknown sampler kind %d", (int)o->kind);
    if ((unsigned)d->prediction > DRIFT_PRED_X0)
        return drift_fail(DRIFT_ERR_ARG, "sampler: unknown prediction type %d", (int)d->prediction);
    if (batch < 1 || batch > INT_MAX / 2 || dim < 1 || dim > SIZE_MAX / sizeof(float) / 2 / (size_t)batch)
        return drift_fail(DRIFT_ERR_ARG, "sampler: bad batch %d x dim %zu", batch, dim);
    drift_status st = check_numbers(o);
    if (st != DRIFT_OK)
        return st;
    if (o->guidance != 1 && !d->has_uncond)
        return drift_fail(DRIFT_ERR_ARG,
                          "%s: guidance scale %g needs a denoiser with an unconditional branch, this one has none",
                          drift_sampler_name(o->kind), o->guidance);
    if (o->strength < 1 && !o->x_init)
        return drift_fail(DRIFT_ERR_ARG, "%s: strength %g needs x_init, the data to start from",
                          drift_sampler_name(o->kind), o->strength);
    if (o->draws < 0 || o->draws > DRIFT_SAMPLER_MAX_DRAWS)
        return drift_fail(DRIFT_ERR_ARG, "%s: %d draws per sample is outside 1..%d", drift_sampler_name(o->kind),
                          o->draws, DRIFT_SAMPLER_MAX_DRAWS);
    return check_grid(s, o);
}

/* ---- conversion layer ---- */

void drift_prediction_convert(drift_prediction p, double alpha, double sigma, const float *x, const float *pred,
                              size_t n, float *x0, float *eps, float *score)
{
    double a_div = alpha > DRIFT_MIN_ALPHA ? alpha : DRIFT_MIN_ALPHA;
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], pi = pred[i], x0i, epsi;
        if (p == DRIFT_PRED_EPS) {
            epsi = pi;
            x0i = (xi - sigma * pi) / a_div;
        } else if (p == DRIFT_PRED_V) {
            x0i = alpha * xi - sigma * pi;
            epsi = sigma * xi + alpha * pi;
        } else {
            x0i = pi;
            epsi = sigma > 0 ? (xi - alpha * pi) / sigma : 0;
        }
        if (x0)
            x0[i] = (float)x0i;
        if (eps)
            eps[i] = (float)epsi;
        if (score)
            score[i] = sigma > 0 ? (float)(-epsi / sigma) : 0.0f;
    }
}

void drift_prediction_target(drift_prediction p, double alpha, double sigma, const float *x0, const float *eps,
                             size_t n, float *target)
{
    for (size_t i = 0; i < n; i++) {
        if (p == DRIFT_PRED_EPS)
            target[i] = eps[i];
        else if (p == DRIFT_PRED_V)
            target[i] = (float)(alpha * eps[i] - sigma * x0[i]);
        else
            target[i] = x0[i];
    }
}

/* ---- single updates ---- */

void drift_ddim_step(double alpha_t, double sigma_t, double alpha_p, double sigma_p, double eta, const float *x0,
                     const float *eps, const float *z, size_t n, float *out)
{
    /* 1 - abar_t / abar_p = (sigma_t^2 - sigma_p^2) / alpha_p^2, without cancellation */
    double gap = sigma_t * sigma_t - sigma_p * sigma_p;
    double s = eta > 0 && sigma_t > 0 ? eta * sigma_p / sigma_t * sqrt(gap > 0 ? gap : 0) / alpha_p : 0;
    double c2 = sigma_p * sigma_p - s * s;
    double c = sqrt(c2 > 0 ? c2 : 0);
    for (size_t i = 0; i < n; i++) {
        double v = alpha_p * x0[i] + c * eps[i];
        if (s > 0)
            v += s * z[i];
        out[i] = (float)v;
    }
}

void drift_ddpm_posterior(double alpha_t, double sigma_t, double alpha_p, double sigma_p, drift_ddpm_variance v,
                          const float *xt, const float *x0, size_t n, float *mean, double *variance)
{
    double abar_p = alpha_p * alpha_p;
    double beta = (sigma_t * sigma_t - sigma_p * sigma_p) / abar_p; /* 1 - abar_t / abar_p */
    double one_m_abar_t = sigma_t * sigma_t;
    double c0 = alpha_p * beta / one_m_abar_t;
    double ct = (alpha_t / alpha_p) * sigma_p * sigma_p / one_m_abar_t;
    for (size_t i = 0; i < n; i++)
        mean[i] = (float)(c0 * x0[i] + ct * xt[i]);
    *variance = v == DRIFT_DDPM_BETA ? beta : sigma_p * sigma_p / one_m_abar_t * beta;
}

/* ---- levels ---- */

sampler_level sampler_level_at(const drift_schedule *s, double t)
{
    sampler_level l;
    l.t = t;
    drift_schedule_alpha_sigma(s, t, &l.alpha, &l.sigma);
    l.hl = 0.5 * drift_schedule_log_snr(s, t);
    return l;
}

sampler_level sampler_level_clean(void) { return (sampler_level){-1, 1, 0, INFINITY}; }

sampler_level sampler_level_at_sigma_ve(const drift_schedule *s, double sigma_ve)
{
    return sampler_level_at(s, drift_schedule_t_of_sigma_ve(s, sigma_ve));
}

/* The highest model time a sampler may start at. */
static double start_time(const drift_schedule *s, const drift_sampler_options *o)
{
    double t_max = o->strength * (s->T - 1);
    if (uses_sigma_ve(o->kind)) {
        const double floor_abar = 5.9604644775390625e-08; /* 2^-24 */
        double t_floor = drift_schedule_t_of_log_snr(s, log(floor_abar) - log1p(-floor_abar));
        if (t_max > t_floor)
            t_max = t_floor;
    }
    return t_max;
}

/* Model time of level i of n from t_max down. */
static double grid_time(const drift_schedule *s, drift_spacing sp, drift_sampler_kind kind, double rho, double t_max,
                        int i, int n)
{
    double u = n > 1 ? (double)i / (n - 1) : 0;
    double span = t_max + 1;
    if (kind == DRIFT_SAMPLER_LANGEVIN || sp == DRIFT_SPACING_KARRAS) {
        double hi = drift_schedule_sigma_ve(s, t_max), lo = drift_schedule_sigma_ve(s, 0), sig;
        if (kind == DRIFT_SAMPLER_LANGEVIN)
            sig = hi * pow(lo / hi, u);
        else
            sig = pow(pow(hi, 1 / rho) + u * (pow(lo, 1 / rho) - pow(hi, 1 / rho)), rho);
        return i == 0 ? t_max : drift_schedule_t_of_sigma_ve(s, sig);
    }
    if (sp == DRIFT_SPACING_LEADING) {
        double ratio = span / n >= 1 ? floor(span / n) : span / n;
        return (n - 1 - i) * ratio;
    }
    if (sp == DRIFT_SPACING_TRAILING) {
        double t = round(span - i * span / n) - 1;
        return t < 0 ? 0 : t > t_max ? t_max : t;
    }
    return t_max * (1 - u);
}

static void build_levels(sampler_run *r)
{
    const drift_sampler_options *o = r->o;
    drift_spacing sp = resolve_spacing(o);
    double t_max = start_time(r->s, o);
    int n = o->steps;
    for (int i = 0; i < n; i++)
        r->lev[i] = sampler_level_at(r->s, grid_time(r->s, sp, o->kind, o->karras_rho, t_max, i, n));
    r->lev[n] = sampler_level_clean();
}

/* ---- run state ---- */

static void run_free(sampler_run *r)
{
    free(r->lev);
    free(r->in_x);
    free(r->in_t);
    free(r->pred);
    free(r->in_sample);
    free(r->in_uncond);
    free(r->row_lev);
    free(r->all_rows);
    free(r->rng);
    free(r->spare);
    free(r->nspare);
    for (int i = 0; i < SAMPLER_WORK; i++)
        free(r->w[i]);
}

static drift_status run_alloc(sampler_run *r, const drift_schedule *s, const drift_denoiser *d,
                              const drift_sampler_options *o, int batch, size_t dim)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->d = d;
    r->o = o;
    r->batch = batch;
    r->dim = dim;
    r->n = (size_t)batch * dim;
    r->nlev = o->steps + 1;
    size_t rows = 2 * (size_t)batch;
    bool ok = (r->lev = malloc((size_t)r->nlev * sizeof *r->lev)) && (r->in_x = malloc(rows * dim * sizeof(float))) &&
              (r->in_t = malloc(rows * sizeof(float))) && (r->pred = malloc(rows * dim * sizeof(float))) &&
              (r->in_sample = malloc(rows * sizeof(int))) && (r->in_uncond = malloc(rows)) &&
              (r->row_lev = malloc(rows * sizeof *r->row_lev)) && (r->all_rows = malloc(rows * sizeof(int))) &&
              (r->rng = malloc((size_t)batch * sizeof *r->rng)) &&
              (r->spare = malloc((size_t)batch * 4 * sizeof(float))) && (r->nspare = calloc((size_t)batch, sizeof(int)));
    for (int i = 0; ok && i < SAMPLER_WORK; i++)
        ok = (r->w[i] = calloc(r->n, sizeof(float))) != NULL;
    if (!ok) {
        run_free(r);
        return drift_fail(DRIFT_ERR_NOMEM, "%s: out of memory for %d x %zu samples", drift_sampler_name(o->kind),
                          batch, dim);
    }
    for (int b = 0; b < batch; b++)
        r->all_rows[b] = b;
    r->draws = draws_of(o);
    build_levels(r);
    return DRIFT_OK;
}

/* Seeds every row's noise stream for draw d: draw 0 is the row's own
 * stream, later draws set high bits no tile or batch index reaches. */
static void start_draw(sampler_run *r, int d)
{
    r->draw = d;
    for (int b = 0; b < r->batch; b++) {
        uint64_t stream = r->o->streams ? r->o->streams[b] : (uint64_t)b;
        drift_rng_init(&r->rng[b], r->o->seed, stream ^ ((uint64_t)d << 48));
        r->nspare[b] = 0;
    }
}

/* Row b's normals come from its stream in order; a block's unused values
 * wait in spare[] for the next draw, so small rows waste nothing. */
void sampler_noise(sampler_run *r, float *z)
{
    for (int b = 0; b < r->batch; b++) {
        float *out = z + (size_t)b * r->dim, *sp = r->spare + 4 * (size_t)b;
        size_t need = r->dim;
        while (need > 0 && r->nspare[b] > 0) {
            *out++ = sp[4 - r->nspare[b]];
            r->nspare[b]--;
            need--;
        }
        size_t bulk = need / 4 * 4;
        drift_rng_normal(&r->rng[b], out, bulk);
        if (need > bulk) {
            drift_rng_normal(&r->rng[b], sp, 4);
            memcpy(out + bulk, sp, (need - bulk) * sizeof(float));
            r->nspare[b] = (int)(4 - (need - bulk));
        }
    }
}

void sampler_progress(const sampler_run *r, int step, int total)
{
    if (r->o->progress) /* one bar over all draws */
        r->o->progress(r->o->progress_user, r->draw * total + step, total * r->draws);
}

/* ---- the model call ---- */

static void pack_rows(sampler_run *r, int rows, const int *ids, const float *x, const sampler_level *lv,
                      const sampler_level *one, bool guided)
{
    size_t dim = r->dim, bytes = (size_t)rows * dim * sizeof(float);
    for (int k = 0; k < rows; k++) {
        r->row_lev[k] = lv ? lv[k] : *one;
        r->in_t[k] = (float)r->row_lev[k].t;
        r->in_sample[k] = ids[k];
        r->in_uncond[k] = 0;
    }
    memcpy(r->in_x, x, bytes);
    if (!guided)
        return;
    memcpy(r->in_x + (size_t)rows * dim, x, bytes);
    for (int k = 0; k < rows; k++) {
        r->in_t[rows + k] = r->in_t[k];
        r->in_sample[rows + k] = ids[k];
        r->in_uncond[rows + k] = 1;
    }
}

/* x0 clamped to the data range; eps = (x - alpha x0) / sigma follows it. */
static void clamp_x0(const drift_sampler_options *o, const sampler_level *l, const float *x, float *x0, float *eps,
                     size_t dim)
{
    float lo = (float)o->x0_min, hi = (float)o->x0_max;
    bool moved = false;
    for (size_t i = 0; i < dim; i++) {
        float v = x0[i] < lo ? lo : x0[i] > hi ? hi : x0[i];
        moved |= v != x0[i];
        x0[i] = v;
    }
    if (eps && moved && l->sigma > 0)
        for (size_t i = 0; i < dim; i++)
            eps[i] = (float)((x[i] - l->alpha * x0[i]) / l->sigma);
}

drift_status sampler_eval_rows(sampler_run *r, int rows, const int *ids, const float *x, const sampler_level *lv,
                               const sampler_level *one, float *x0, float *eps)
{
    bool guided = r->o->guidance != 1;
    size_t dim = r->dim, m = (size_t)rows * dim;
    pack_rows(r, rows, ids, x, lv, one, guided);
    r->calls++;
    drift_status st = r->d->fn(r->d->user, guided ? 2 * rows : rows, dim, r->in_x, r->in_t, r->in_sample,
                               r->in_uncond, r->pred);
    if (st != DRIFT_OK)
        return st;
    for (size_t i = 0; i < (guided ? 2 * m : m); i++)
        if (!isfinite(r->pred[i]))
            return drift_fail(DRIFT_ERR_NUMERIC, "%s: the denoiser returned %g at t = %g (row %zu)",
                              drift_sampler_name(r->o->kind), r->pred[i], r->in_t[i / dim], i / dim);
    if (guided) {
        double w = r->o->guidance;
        const float *u = r->pred + m;
        for (size_t i = 0; i < m; i++)
            r->pred[i] = (float)(u[i] + w * ((double)r->pred[i] - u[i]));
    }
    for (int k = 0; k < rows; k++) {
        const sampler_level *l = &r->row_lev[k];
        size_t off = (size_t)k * dim;
        drift_prediction_convert(r->d->prediction, l->alpha, l->sigma, x + off, r->pred + off, dim,
                                 x0 ? x0 + off : NULL, eps ? eps + off : NULL, NULL);
        if (x0 && r->o->x0_min < r->o->x0_max)
            clamp_x0(r->o, l, x + off, x0 + off, eps ? eps + off : NULL, dim);
    }
    return DRIFT_OK;
}

drift_status sampler_eval(sampler_run *r, const sampler_level *l, const float *x, float *x0, float *eps)
{
    return sampler_eval_rows(r, r->batch, r->all_rows, x, NULL, l, x0, eps);
}

/* ---- DDPM and DDIM ---- */

static drift_status run_ddpm_ddim(sampler_run *r, float *x)
{
    float *x0 = r->w[0], *eps = r->w[1], *z = r->w[2];
    int n = r->nlev - 1;
    bool ddpm = r->o->kind == DRIFT_SAMPLER_DDPM;
    for (int i = 0; i < n; i++) {
        const sampler_level *l = &r->lev[i], *p = &r->lev[i + 1];
        drift_status st = sampler_eval(r, l, x, x0, eps);
        if (st != DRIFT_OK)
            return st;
        if (p->sigma == 0) {
            memcpy(x, x0, r->n * sizeof(float));
        } else if (ddpm) {
            double var;
            drift_ddpm_posterior(l->alpha, l->sigma, p->alpha, p->sigma, r->o->ddpm_variance, x, x0, r->n, x, &var);
            sampler_noise(r, z);
            double sd = sqrt(var);
            for (size_t k = 0; k < r->n; k++)
                x[k] += (float)(sd * z[k]);
        } else {
            if (r->o->eta > 0)
                sampler_noise(r, z);
            drift_ddim_step(l->alpha, l->sigma, p->alpha, p->sigma, r->o->eta, x0, eps, z, r->n, x);
        }
        sampler_progress(r, i + 1, n);
    }
    return DRIFT_OK;
}

/* ---- Langevin dynamics ---- */

/* `count` Langevin steps at level l: x += e score + sqrt(2e) z with
 * e = 2 (snr s)^2, s the level's noise scale. This is Song et al.'s
 * e = 2 (snr |z| / |score|)^2 (2021, algorithms 4 and 5) with the norm
 * ratio replaced by its value for noise-dominated data, |z| / |score| ~ s,
 * and the NCSN rule e proportional to sigma^2 (Song & Ermon 2019): each
 * sample's step depends on nothing but the level, so samples stay
 * independent of the batch. ve: x is in the sigma_VE view (s = sigma_VE,
 * the model sees alpha x); otherwise x is VP (s = sigma). */
static drift_status langevin_steps(sampler_run *r, const sampler_level *l, float *x, int count, bool ve)
{
    float *x0 = r->w[0], *xm = r->w[3], *z = r->w[2];
    double s = ve ? sampler_sigma_ve(l) : l->sigma, scale = ve ? l->alpha : 1;
    double e = 2 * (r->o->snr * s) * (r->o->snr * s), sd = sqrt(2 * e);
    double a_eff = ve ? 1 : l->alpha; /* score = (a_eff x0 - x) / s^2 */
    for (int k = 0; k < count; k++) {
        for (size_t i = 0; i < r->n; i++)
            xm[i] = (float)(scale * x[i]);
        drift_status st = sampler_eval(r, l, xm, x0, NULL);
        if (st != DRIFT_OK)
            return st;
        sampler_noise(r, z);
        for (size_t i = 0; i < r->n; i++)
            x[i] += (float)(e * (a_eff * x0[i] - x[i]) / (s * s) + sd * z[i]);
    }
    return DRIFT_OK;
}

static drift_status run_langevin(sampler_run *r, float *x)
{
    int n = r->nlev - 1;
    double inv = 1 / r->lev[0].alpha;
    for (size_t i = 0; i < r->n; i++)
        x[i] = (float)(x[i] * inv);
    for (int i = 0; i < n; i++) {
        drift_status st = langevin_steps(r, &r->lev[i], x, r->o->langevin_steps, true);
        if (st != DRIFT_OK)
            return st;
        sampler_progress(r, i + 1, n);
    }
    /* final denoising step at the smallest sigma: x = x0_hat */
    const sampler_level *l = &r->lev[n - 1];
    float *xm = r->w[3];
    for (size_t i = 0; i < r->n; i++)
        xm[i] = (float)(l->alpha * x[i]);
    return sampler_eval(r, l, xm, x, NULL);
}

/* ---- predictor-corrector on the reverse VP-SDE ---- */

static drift_status run_pc(sampler_run *r, float *x)
{
    float *x0 = r->w[0], *eps = r->w[1], *z = r->w[2];
    int n = r->nlev - 1;
    for (int i = 0; i < n; i++) {
        const sampler_level *l = &r->lev[i], *p = &r->lev[i + 1];
        drift_status st = DRIFT_OK;
        if (r->o->corrector)
            st = langevin_steps(r, l, x, r->o->langevin_steps, false);
        if (st == DRIFT_OK)
            st = sampler_eval(r, l, x, x0, eps);
        if (st != DRIFT_OK)
            return st;
        if (p->sigma == 0) {
            memcpy(x, x0, r->n * sizeof(float));
        } else {
            /* Euler-Maruyama over the integrated beta b = log(abar_p / abar_t):
             * x += b (x / 2 + score) + sqrt(b) z, score = -eps / sigma */
            double b = 2 * log(p->alpha / l->alpha), sd = sqrt(b);
            sampler_noise(r, z);
            for (size_t k = 0; k < r->n; k++)
                x[k] += (float)(b * (0.5 * x[k] - eps[k] / l->sigma) + sd * z[k]);
        }
        sampler_progress(r, i + 1, n);
    }
    return DRIFT_OK;
}

/* ---- entry point ---- */

static void initial_state(sampler_run *r, float *x)
{
    sampler_noise(r, x);
    if (!r->o->x_init)
        return;
    const sampler_level *l = &r->lev[0];
    for (size_t i = 0; i < r->n; i++)
        x[i] = (float)(l->alpha * r->o->x_init[i] + l->sigma * x[i]);
}

/* One sample per row from the current draw's noise into state. */
static drift_status run_draw(sampler_run *r, float *state)
{
    initial_state(r, state);
    switch (r->o->kind) {
    case DRIFT_SAMPLER_DDPM:
    case DRIFT_SAMPLER_DDIM: return run_ddpm_ddim(r, state);
    case DRIFT_SAMPLER_EULER: return sampler_run_karras(r, state, false);
    case DRIFT_SAMPLER_HEUN: return sampler_run_karras(r, state, true);
    case DRIFT_SAMPLER_DPMPP_2M: return sampler_run_dpmpp(r, state, false);
    case DRIFT_SAMPLER_DPMPP_2M_SDE: return sampler_run_dpmpp(r, state, true);
    case DRIFT_SAMPLER_LANGEVIN: return run_langevin(r, state);
    case DRIFT_SAMPLER_PC: return run_pc(r, state);
    default: return sampler_run_rk45(r, state);
    }
}

drift_status drift_sample(const drift_schedule *s, const drift_denoiser *d, const drift_sampler_options *o,
                          int batch, size_t dim, float *x)
{
    drift_status st = drift_sampler_check(s, d, o, batch, dim);
    if (st == DRIFT_OK && !x)
        st = drift_fail(DRIFT_ERR_ARG, "%s: no output buffer", drift_sampler_name(o->kind));
    if (st != DRIFT_OK)
        return st;
    sampler_run r;
    st = run_alloc(&r, s, d, o, batch, dim);
    if (st != DRIFT_OK)
        return st;
    float *state = r.w[SAMPLER_WORK - 1]; /* x_init may alias x */
    float *sum = r.draws > 1 ? calloc(r.n, sizeof(float)) : NULL;
    if (r.draws > 1 && !sum)
        st = drift_fail(DRIFT_ERR_NOMEM, "%s: out of memory for %d draws", drift_sampler_name(o->kind), r.draws);
    for (int k = 0; st == DRIFT_OK && k < r.draws; k++) {
        start_draw(&r, k);
        st = run_draw(&r, state);
        for (size_t i = 0; sum && st == DRIFT_OK && i < r.n; i++)
            sum[i] += state[i];
    }
    if (st == DRIFT_OK && sum)
        for (size_t i = 0; i < r.n; i++)
            state[i] = sum[i] / (float)r.draws;
    if (st == DRIFT_OK)
        memcpy(x, state, r.n * sizeof(float));
    free(sum);
    run_free(&r);
    return st;
}
