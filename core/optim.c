/* optim.c: AdamW, gradient clipping, learning-rate schedule and weight EMA
 * over a parameter set's flat buffers (see optim.h). */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "threads.h"

/* Element-wise loops run in parallel ranges of at least this many floats;
 * smaller sets stay on the calling thread. */
#define ELEMENT_GRAIN 65536
/* Reductions sum fixed blocks of this size, then add the block sums in
 * order, so the result does not depend on how blocks meet threads. */
#define NORM_BLOCK 65536
#define NORM_ROUND 256

/* ---- AdamW ------------------------------------------------------------ */

struct drift_adamw {
    drift_params *params;
    drift_adamw_config cfg;
    float *m, *v;
    int64_t steps;
    /* Runs of consecutive tensors with the same decay setting:
     * run r covers [run_start[r], run_start[r + 1]). */
    size_t *run_start;
    bool *run_decays;
    size_t n_runs;
};

drift_adamw_config drift_adamw_defaults(void)
{
    return (drift_adamw_config){.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01,
                                .decay_1d = true};
}

static drift_status check_adamw_config(const drift_adamw_config *c)
{
    if (!(c->beta1 >= 0 && c->beta1 < 1) || !(c->beta2 >= 0 && c->beta2 < 1))
        return drift_fail(DRIFT_ERR_ARG, "AdamW betas must be in [0, 1), got (%g, %g)", c->beta1,
                          c->beta2);
    if (!(c->eps > 0) || !isfinite(c->eps))
        return drift_fail(DRIFT_ERR_ARG, "AdamW eps must be > 0, got %g", c->eps);
    if (!(c->weight_decay >= 0) || !isfinite(c->weight_decay))
        return drift_fail(DRIFT_ERR_ARG, "AdamW weight decay must be >= 0, got %g", c->weight_decay);
    return DRIFT_OK;
}

static bool tensor_decays(const drift_adamw_config *c, const drift_tensor *t)
{
    return c->decay_1d || t->ndim > 1;
}

static drift_status build_runs(drift_adamw *o)
{
    size_t count = drift_params_count(o->params);
    o->run_start = malloc((count + 1) * sizeof *o->run_start);
    o->run_decays = malloc((count + 1) * sizeof *o->run_decays);
    if (!o->run_start || !o->run_decays)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory creating the optimiser");
    for (size_t i = 0; i < count; i++) {
        bool d = tensor_decays(&o->cfg, drift_params_get(o->params, i));
        if (o->n_runs > 0 && o->run_decays[o->n_runs - 1] == d)
            continue;
        o->run_start[o->n_runs] = drift_params_offset(o->params, i);
        o->run_decays[o->n_runs++] = d;
    }
    o->run_start[o->n_runs] = drift_params_numel(o->params);
    return DRIFT_OK;
}

static float *zeroed_floats(size_t n)
{
    return calloc(n ? n : 1, sizeof(float));
}

drift_adamw *drift_adamw_create(drift_params *p, const drift_adamw_config *cfg)
{
    if (!p || !drift_params_finalized(p) || !drift_params_grad(p)) {
        drift_fail(DRIFT_ERR_ARG, "AdamW needs a finalized parameter set with gradients");
        return NULL;
    }
    drift_adamw_config c = cfg ? *cfg : drift_adamw_defaults();
    if (check_adamw_config(&c) != DRIFT_OK)
        return NULL;
    drift_adamw *o = calloc(1, sizeof *o);
    if (!o) {
        drift_fail(DRIFT_ERR_NOMEM, "out of memory creating the optimiser");
        return NULL;
    }
    o->params = p;
    o->cfg = c;
    size_t n = drift_params_numel(p);
    o->m = zeroed_floats(n);
    o->v = zeroed_floats(n);
    if (!o->m || !o->v) {
        drift_fail(DRIFT_ERR_NOMEM, "out of memory for AdamW moments of %zu parameters", n);
        drift_adamw_free(o);
        return NULL;
    }
    if (build_runs(o) != DRIFT_OK) {
        drift_adamw_free(o);
        return NULL;
    }
    return o;
}

void drift_adamw_free(drift_adamw *opt)
{
    if (!opt)
        return;
    free(opt->m);
    free(opt->v);
    free(opt->run_start);
    free(opt->run_decays);
    free(opt);
}

float *drift_adamw_m(const drift_adamw *opt) { return opt ? opt->m : NULL; }
float *drift_adamw_v(const drift_adamw *opt) { return opt ? opt->v : NULL; }
int64_t drift_adamw_steps(const drift_adamw *opt) { return opt ? opt->steps : 0; }
const drift_adamw_config *drift_adamw_get_config(const drift_adamw *opt) { return opt ? &opt->cfg : NULL; }

void drift_adamw_set_steps(drift_adamw *opt, int64_t steps)
{
    if (opt)
        opt->steps = steps < 0 ? 0 : steps;
}

/* The float scalars of one step. */
typedef struct adamw_coefs {
    float beta1, one_minus_beta1, beta2, one_minus_beta2;
    float step_size, bias2_sqrt, eps;
    float keep_decay; /* 1 - lr * wd for decayed tensors */
} adamw_coefs;

typedef struct adamw_job {
    const drift_adamw *opt;
    float *p;
    const float *g;
    adamw_coefs c;
} adamw_job;

/* Up to 8 elements of the update. Called with a constant 8 the loops have
 * a fixed trip count, which GCC's -O2 vectoriser needs; the square roots
 * get a pass of their own so that the arithmetic around them vectorises. */
static inline void adamw_block(float *restrict p, const float *restrict g, float *restrict m,
                               float *restrict v, size_t len, const adamw_coefs *c, float keep)
{
    float root[8];
    for (size_t k = 0; k < len; k++) {
        m[k] = c->beta1 * m[k] + c->one_minus_beta1 * g[k];
        v[k] = c->beta2 * v[k] + c->one_minus_beta2 * g[k] * g[k];
    }
    for (size_t k = 0; k < len; k++)
        root[k] = sqrtf(v[k]);
    for (size_t k = 0; k < len; k++)
        p[k] = p[k] * keep - c->step_size * (m[k] / (root[k] / c->bias2_sqrt + c->eps));
}

/* p, g, m, v: [n] */
static void adamw_kernel(float *restrict p, const float *restrict g, float *restrict m,
                         float *restrict v, size_t n, const adamw_coefs *c, float keep)
{
    const adamw_coefs local = *c;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        adamw_block(p + i, g + i, m + i, v + i, 8, &local, keep);
    adamw_block(p + i, g + i, m + i, v + i, n - i, &local, keep);
}

/* The run holding element i (binary search over run starts). */
static size_t run_of(const drift_adamw *o, size_t i)
{
    size_t lo = 0, hi = o->n_runs;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (o->run_start[mid] <= i)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static void adamw_range(void *ctx, size_t begin, size_t end)
{
    const adamw_job *j = ctx;
    const drift_adamw *o = j->opt;
    for (size_t r = run_of(o, begin); begin < end; r++) {
        size_t stop = o->run_start[r + 1] < end ? o->run_start[r + 1] : end;
        float keep = o->run_decays[r] ? j->c.keep_decay : 1.0f;
        adamw_kernel(j->p + begin, j->g + begin, o->m + begin, o->v + begin, stop - begin, &j->c,
                     keep);
        begin = stop;
    }
}

drift_status drift_adamw_step(drift_adamw *opt, double lr)
{
    if (!opt)
        return drift_fail(DRIFT_ERR_ARG, "drift_adamw_step: no optimiser");
    if (!(lr >= 0) || !isfinite(lr))
        return drift_fail(DRIFT_ERR_ARG, "learning rate must be finite and >= 0, got %g", lr);
    const drift_adamw_config *c = &opt->cfg;
    opt->steps++;
    double t = (double)opt->steps;
    double bias1 = 1.0 - pow(c->beta1, t), bias2 = 1.0 - pow(c->beta2, t);
    adamw_job j = {
        .opt = opt,
        .p = drift_params_data(opt->params),
        .g = drift_params_grad(opt->params),
        .c = {.beta1 = (float)c->beta1,
              .one_minus_beta1 = (float)(1.0 - c->beta1),
              .beta2 = (float)c->beta2,
              .one_minus_beta2 = (float)(1.0 - c->beta2),
              .step_size = (float)(lr / bias1),
              .bias2_sqrt = (float)sqrt(bias2),
              .eps = (float)c->eps,
              .keep_decay = (float)(1.0 - lr * c->weight_decay)},
    };
    drift_parallel_for(drift_params_numel(opt->params), ELEMENT_GRAIN, adamw_range, &j);
    return DRIFT_OK;
}

/* ---- gradient clipping ------------------------------------------------ */

typedef struct norm_job {
    const float *x;
    size_t n, first_block;
    double *sums; /* one per block of this round */
} norm_job;

static double sum_squares(const float *x, size_t n)
{
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++)
            acc[k] += (double)x[i + k] * (double)x[i + k];
    for (; i < n; i++)
        acc[0] += (double)x[i] * (double)x[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static void norm_range(void *ctx, size_t begin, size_t end)
{
    norm_job *j = ctx;
    for (size_t b = begin; b < end; b++) {
        size_t start = (j->first_block + b) * NORM_BLOCK;
        size_t len = j->n - start < NORM_BLOCK ? j->n - start : NORM_BLOCK;
        j->sums[b] = sum_squares(j->x + start, len);
    }
}

/* sum x^2 over [0, n), in double, independent of the thread count. */
static double flat_sum_squares(const float *x, size_t n)
{
    double sums[NORM_ROUND], total = 0;
    size_t blocks = (n + NORM_BLOCK - 1) / NORM_BLOCK;
    for (size_t first = 0; first < blocks; first += NORM_ROUND) {
        size_t count = blocks - first < NORM_ROUND ? blocks - first : NORM_ROUND;
        norm_job j = {.x = x, .n = n, .first_block = first, .sums = sums};
        drift_parallel_for(count, 1, norm_range, &j);
        for (size_t b = 0; b < count; b++)
            total += sums[b];
    }
    return total;
}

typedef struct scale_job {
    float *x;
    float s;
} scale_job;

/* x: [len], len <= 8 (see adamw_block) */
static inline void scale_block(float *restrict x, size_t len, float s)
{
    for (size_t k = 0; k < len; k++)
        x[k] *= s;
}

static void scale_range(void *ctx, size_t begin, size_t end)
{
    const scale_job *j = ctx;
    float *x = j->x, s = j->s;
    for (; begin + 8 <= end; begin += 8)
        scale_block(x + begin, 8, s);
    scale_block(x + begin, end - begin, s);
}

static const char *first_nonfinite_grad(const drift_params *p)
{
    for (size_t i = 0; i < drift_params_count(p); i++) {
        const drift_tensor *t = drift_params_get(p, i);
        for (size_t k = 0; k < t->numel; k++)
            if (!isfinite(t->grad[k]))
                return t->name;
    }
    return "?";
}

drift_status drift_clip_grad_norm(drift_params *p, float max_norm, double *norm)
{
    if (norm)
        *norm = 0;
    float *g = drift_params_grad(p);
    if (!g)
        return drift_fail(DRIFT_ERR_ARG, "gradient clipping needs a finalized set with gradients");
    size_t n = drift_params_numel(p);
    double total = sqrt(flat_sum_squares(g, n));
    if (norm)
        *norm = total;
    if (!isfinite(total))
        return drift_fail(DRIFT_ERR_NUMERIC, "gradient norm is %s (first non-finite gradient in '%s')",
                          isnan(total) ? "NaN" : "Inf", first_nonfinite_grad(p));
    if (!(max_norm > 0))
        return DRIFT_OK;
    float coef = max_norm / ((float)total + 1e-6f);
    if (coef < 1.0f) {
        scale_job j = {.x = g, .s = coef};
        drift_parallel_for(n, ELEMENT_GRAIN, scale_range, &j);
    }
    return DRIFT_OK;
}

/* ---- learning-rate schedule ------------------------------------------ */

double drift_lr_at(const drift_lr_schedule *s, int64_t step)
{
    if (step < 0)
        step = 0;
    if (step < s->warmup_steps)
        return s->base_lr * (double)(step + 1) / (double)s->warmup_steps;
    int64_t span = s->total_steps - s->warmup_steps;
    if (span <= 0)
        return s->base_lr;
    double r = (double)(step - s->warmup_steps) / (double)span;
    if (r > 1)
        r = 1;
    const double pi = 3.14159265358979323846;
    return s->min_lr + (s->base_lr - s->min_lr) * 0.5 * (1.0 + cos(pi * r));
}

/* ---- EMA -------------------------------------------------------------- */

struct drift_ema {
    drift_params *shadow;
    float decay;
    bool warmup;
    int64_t updates;
};

drift_ema *drift_ema_create(const drift_params *model, float decay, bool warmup)
{
    if (!(decay >= 0 && decay <= 1)) {
        drift_fail(DRIFT_ERR_ARG, "EMA decay must be in [0, 1], got %g", (double)decay);
        return NULL;
    }
    drift_ema *e = calloc(1, sizeof *e);
    if (!e) {
        drift_fail(DRIFT_ERR_NOMEM, "out of memory creating the EMA");
        return NULL;
    }
    e->shadow = drift_params_clone(model, false);
    if (!e->shadow) {
        free(e);
        return NULL;
    }
    e->decay = decay;
    e->warmup = warmup;
    return e;
}

void drift_ema_free(drift_ema *e)
{
    if (!e)
        return;
    drift_params_free(e->shadow);
    free(e);
}

float drift_ema_decay_at(const drift_ema *e, int64_t updates)
{
    if (!e->warmup)
        return e->decay;
    if (updates < 0)
        updates = 0;
    double d = (1.0 + (double)updates) / (10.0 + (double)updates);
    return d < e->decay ? (float)d : e->decay;
}

typedef struct ema_job {
    float *shadow, *model;
    float d, one_minus_d;
} ema_job;

/* shadow, model: [len], len <= 8 (see adamw_block); swap or blend. */
static inline void ema_block(float *restrict s, float *restrict m, size_t len, float d, float a,
                             bool swap)
{
    for (size_t k = 0; k < len; k++) {
        float t = s[k];
        s[k] = swap ? m[k] : d * t + a * m[k];
        if (swap)
            m[k] = t;
    }
}

static void ema_blocks(const ema_job *j, size_t begin, size_t end, bool swap)
{
    float *s = j->shadow, *m = j->model, d = j->d, a = j->one_minus_d;
    for (; begin + 8 <= end; begin += 8)
        ema_block(s + begin, m + begin, 8, d, a, swap);
    ema_block(s + begin, m + begin, end - begin, d, a, swap);
}

static void ema_range(void *ctx, size_t begin, size_t end) { ema_blocks(ctx, begin, end, false); }
static void swap_range(void *ctx, size_t begin, size_t end) { ema_blocks(ctx, begin, end, true); }

static drift_status check_ema_model(const drift_ema *e, const drift_params *model)
{
    if (!e || !drift_params_same_layout(e->shadow, model))
        return drift_fail(DRIFT_ERR_SHAPE, "the EMA and the model have different parameter layouts");
    return DRIFT_OK;
}

drift_status drift_ema_update(drift_ema *e, const drift_params *model)
{
    drift_status s = check_ema_model(e, model);
    if (s != DRIFT_OK)
        return s;
    float d = drift_ema_decay_at(e, e->updates);
    ema_job j = {.shadow = drift_params_data(e->shadow), .model = drift_params_data(model), .d = d,
                 .one_minus_d = 1.0f - d};
    drift_parallel_for(drift_params_numel(model), ELEMENT_GRAIN, ema_range, &j);
    e->updates++;
    return DRIFT_OK;
}

drift_status drift_ema_swap(drift_ema *e, drift_params *model)
{
    drift_status s = check_ema_model(e, model);
    if (s != DRIFT_OK)
        return s;
    ema_job j = {.shadow = drift_params_data(e->shadow), .model = drift_params_data(model)};
    drift_parallel_for(drift_params_numel(model), ELEMENT_GRAIN, swap_range, &j);
    return DRIFT_OK;
}

drift_status drift_ema_copy_to(const drift_ema *e, drift_params *model)
{
    drift_status s = check_ema_model(e, model);
    return s != DRIFT_OK ? s : drift_params_copy(model, e->shadow);
}

drift_params *drift_ema_params(const drift_ema *e) { return e ? e->shadow : NULL; }
int64_t drift_ema_updates(const drift_ema *e) { return e ? e->updates : 0; }

void drift_ema_set_updates(drift_ema *e, int64_t updates)
{
    if (e)
        e->updates = updates < 0 ? 0 : updates;
}
