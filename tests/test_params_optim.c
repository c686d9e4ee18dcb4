/* test_params_optim.c: parameter sets (layout, lookup, initialisers) and
 * the training updates: AdamW and gradient clipping against PyTorch's
 * trajectory (tests/golden/make_adamw.py), the learning-rate schedule and
 * the EMA against their formulas, and thread-count independence. */
#include "drift.h"
#include "core/optim.h"
#include "core/params.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void test_layout(void)
{
    drift_params *p = drift_params_create();
    drift_tensor *a = drift_params_add(p, "conv.weight", 4, (int[]){8, 3, 3, 3});
    drift_tensor *b = drift_params_add(p, "conv.bias", 1, (int[]){8});
    drift_tensor *c = drift_params_add(p, "fc.weight", 2, (int[]){5, 7});
    CHECK(a && b && c, "adds succeed");
    CHECK(a->data == NULL && a->grad == NULL, "no memory before finalize");
    CHECK(drift_params_finalize(p) == DRIFT_OK, "finalize: %s", drift_last_error());
    CHECK(drift_params_count(p) == 3 && drift_params_numel(p) == 216 + 8 + 35, "count/numel");
    CHECK(((uintptr_t)drift_params_data(p) % 64) == 0 && ((uintptr_t)drift_params_grad(p) % 64) == 0,
          "buffers 64-byte aligned");
    CHECK(a->data == drift_params_data(p) && b->data == a->data + 216 && c->data == b->data + 8,
          "data packed back to back");
    CHECK(a->grad == drift_params_grad(p) && b->grad == a->grad + 216 && c->grad == b->grad + 8,
          "grad packed back to back");
    CHECK(drift_params_offset(p, 2) == 224, "offset of third tensor");
    CHECK((a->flags & DRIFT_T_PARAM) && (a->flags & DRIFT_T_NEEDS_GRAD), "flags");
    bool zero = true;
    for (size_t i = 0; i < drift_params_numel(p); i++)
        zero = zero && drift_params_data(p)[i] == 0 && drift_params_grad(p)[i] == 0;
    CHECK(zero, "buffers zeroed");
    CHECK(drift_params_find(p, "conv.bias") == b && drift_params_find(p, "nope") == NULL, "find");
    CHECK(drift_params_get(p, 2) == c && drift_params_get(p, 3) == NULL, "get");
    CHECK(strcmp(c->name, "fc.weight") == 0 && c->numel == 35, "name and numel");

    CHECK(drift_params_add(p, "late", 1, (int[]){2}) == NULL, "add after finalize rejected");
    CHECK(drift_params_finalize(p) != DRIFT_OK, "second finalize rejected");

    drift_params *q = drift_params_clone(p, false);
    CHECK(q && drift_params_same_layout(p, q) && drift_params_grad(q) == NULL, "clone without grad");
    CHECK(q && !(drift_params_get(q, 0)->flags & DRIFT_T_NEEDS_GRAD), "clone has no grad flag");
    a->data[5] = 3.5f;
    CHECK(drift_params_copy(q, p) == DRIFT_OK && drift_params_get(q, 0)->data[5] == 3.5f, "copy");
    drift_params_free(q);

    drift_params *r = drift_params_create();
    drift_params_add(r, "conv.weight", 4, (int[]){8, 3, 3, 3});
    drift_params_add(r, "conv.bias", 1, (int[]){9});
    drift_params_add(r, "fc.weight", 2, (int[]){5, 7});
    drift_params_finalize(r);
    CHECK(!drift_params_same_layout(p, r), "different layout detected");
    CHECK(drift_params_copy(r, p) == DRIFT_ERR_SHAPE && strstr(drift_last_error(), "conv.bias"),
          "copy names the mismatch: %s", drift_last_error());
    drift_params_free(r);
    drift_params_free(p);
}

static void test_bad_registration(void)
{
    drift_params *p = drift_params_create();
    CHECK(drift_params_add(p, "x", 2, (int[]){2, 2}) != NULL, "first x");
    CHECK(drift_params_add(p, "x", 1, (int[]){3}) == NULL, "duplicate name rejected");
    CHECK(strstr(drift_last_error(), "'x'") != NULL, "message names it: %s", drift_last_error());
    CHECK(drift_params_add(p, "y", 2, (int[]){2, 0}) == NULL, "zero dimension rejected");
    CHECK(drift_params_add(p, "z", 5, (int[]){1, 1, 1, 1, 1}) == NULL, "5 dimensions rejected");
    CHECK(drift_params_add(p, "", 1, (int[]){1}) == NULL, "empty name rejected");
    CHECK(drift_params_finalize(p) == DRIFT_ERR_ARG, "finalize reports the first error");
    CHECK(strstr(drift_last_error(), "'x'") != NULL, "first error kept: %s", drift_last_error());
    drift_params_free(p);
}

static void moments(const float *x, size_t n, double *mean, double *var, float *lo, float *hi)
{
    double m = 0, v = 0;
    *lo = *hi = x[0];
    for (size_t i = 0; i < n; i++) {
        m += x[i];
        *lo = x[i] < *lo ? x[i] : *lo;
        *hi = x[i] > *hi ? x[i] : *hi;
    }
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *var = v / (double)n;
}

static void test_init(void)
{
    drift_params *p = drift_params_create();
    drift_tensor *w = drift_params_add(p, "w", 4, (int[]){64, 32, 3, 3});
    drift_tensor *b = drift_params_add(p, "b", 1, (int[]){4096});
    drift_tensor *n = drift_params_add(p, "n", 2, (int[]){100, 100});
    CHECK(drift_params_init_constant(w, 1.0f) == DRIFT_ERR_ARG, "init before finalize rejected");
    drift_params_finalize(p);
    drift_rng rng;
    drift_rng_init(&rng, 5, 0);
    int fan_in = 32 * 9;
    CHECK(drift_params_init_torch_default(w, b, fan_in, &rng) == DRIFT_OK, "torch default init");
    double bound = 1.0 / sqrt(fan_in), mean, var;
    float lo, hi;
    moments(w->data, w->numel, &mean, &var, &lo, &hi);
    CHECK(lo >= -bound && hi <= bound && hi > 0.99 * bound && lo < -0.99 * bound,
          "weight in U(-%g, %g): [%g, %g]", bound, bound, (double)lo, (double)hi);
    CHECK(fabs(mean) < 0.02 * bound && fabs(var / (bound * bound / 3) - 1) < 0.03,
          "uniform moments %g %g", mean, var);
    moments(b->data, b->numel, &mean, &var, &lo, &hi);
    CHECK(lo >= -bound && hi <= bound && fabs(var / (bound * bound / 3) - 1) < 0.08, "bias bound");
    CHECK(drift_params_init_normal(n, 0.5f, 2.0f, &rng) == DRIFT_OK, "normal init");
    moments(n->data, n->numel, &mean, &var, &lo, &hi);
    CHECK(fabs(mean - 0.5) < 0.06 && fabs(sqrt(var) - 2.0) < 0.05, "normal moments %g %g", mean, var);
    CHECK(drift_params_init_constant(n, 0.25f) == DRIFT_OK && n->data[9999] == 0.25f, "constant");
    CHECK(drift_params_init_torch_default(w, NULL, 0, &rng) == DRIFT_ERR_ARG, "fan_in 0 rejected");

    /* Same seed, same values. */
    float first = w->data[17];
    drift_rng_init(&rng, 5, 0);
    drift_params_init_torch_default(w, b, fan_in, &rng);
    CHECK(w->data[17] == first, "init is reproducible from the seed");
    drift_params_free(p);
}

/* ---- AdamW against torch's trajectory -------------------------------- */

static const char *const GOLD_NAMES[3] = {"w", "b", "k"};

static const golden_tensor *gold(const golden_file *g, const char *prefix, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    return golden_get(g, key);
}

static drift_params *golden_params(const golden_file *g)
{
    drift_params *p = drift_params_create();
    for (int i = 0; i < 3; i++) {
        const golden_tensor *t = gold(g, "init_", GOLD_NAMES[i]);
        if (!t)
            break;
        drift_params_add(p, GOLD_NAMES[i], t->ndim, t->dims);
    }
    if (drift_params_finalize(p) != DRIFT_OK) {
        drift_params_free(p);
        return NULL;
    }
    for (int i = 0; i < 3; i++) {
        const golden_tensor *t = gold(g, "init_", GOLD_NAMES[i]);
        memcpy(drift_params_find(p, GOLD_NAMES[i])->data, t->data, t->n * sizeof(float));
    }
    return p;
}

/* g = a * (p - t), in float as the script does. */
static void quadratic_grads(drift_params *p, const golden_file *g)
{
    for (int i = 0; i < 3; i++) {
        drift_tensor *x = drift_params_find(p, GOLD_NAMES[i]);
        const float *a = gold(g, "a_", GOLD_NAMES[i])->data, *t = gold(g, "t_", GOLD_NAMES[i])->data;
        for (size_t k = 0; k < x->numel; k++)
            x->grad[k] = a[k] * (x->data[k] - t[k]);
    }
}

static void test_adamw_golden(void)
{
    golden_file g;
    if (!golden_load(&g, test_path("golden/adamw.bin")))
        return;
    drift_params *p = golden_params(&g);
    CHECK(p != NULL, "golden params built");
    const golden_tensor *lr = golden_get(&g, "lr"), *norm = golden_get(&g, "norm");
    if (!p || !lr || !norm) {
        golden_free(&g);
        drift_params_free(p);
        return;
    }
    drift_adamw_config cfg = drift_adamw_defaults();
    cfg.weight_decay = 0.1;
    cfg.decay_1d = false;
    drift_adamw *opt = drift_adamw_create(p, &cfg);
    drift_ema *ema = drift_ema_create(p, 0.9f, true);
    drift_lr_schedule sched = {.base_lr = 0.05, .min_lr = 0.005, .warmup_steps = 5, .total_steps = 16};
    double worst_p = 0, worst_norm = 0, worst_lr = 0;
    for (int step = 0; step < (int)lr->n; step++) {
        quadratic_grads(p, &g);
        double n;
        CHECK(drift_clip_grad_norm(p, 8.0f, &n) == DRIFT_OK, "clip step %d", step);
        worst_norm = fmax(worst_norm, fabs(n - norm->data[step]) / norm->data[step]);
        double rate = drift_lr_at(&sched, step);
        worst_lr = fmax(worst_lr, fabs(rate - lr->data[step]) / lr->data[step]);
        CHECK(drift_adamw_step(opt, rate) == DRIFT_OK, "step %d", step);
        drift_ema_update(ema, p);
        for (int i = 0; i < 3; i++) {
            char prefix[16];
            snprintf(prefix, sizeof prefix, "p%d_", step);
            const golden_tensor *want = gold(&g, prefix, GOLD_NAMES[i]);
            const drift_tensor *got = drift_params_find(p, GOLD_NAMES[i]);
            if (want)
                worst_p = fmax(worst_p, rel_error(got->data, want->data, want->n, 1e-3));
        }
    }
    printf("AdamW golden: worst relative error params %.3g, norm %.3g, lr %.3g\n", worst_p,
           worst_norm, worst_lr);
    CHECK(worst_norm <= 1e-6, "clip_grad_norm_ norms: worst relative error %g", worst_norm);
    CHECK(worst_lr <= 1e-7, "lr schedule vs script: worst relative error %g", worst_lr);
    CHECK(worst_p <= 1e-5, "AdamW trajectory: worst relative error %g", worst_p);
    CHECK(drift_adamw_steps(opt) == (int64_t)lr->n, "step count");
    for (int i = 0; i < 3; i++) {
        const golden_tensor *want = gold(&g, "ema_", GOLD_NAMES[i]);
        const drift_tensor *got = drift_params_find(drift_ema_params(ema), GOLD_NAMES[i]);
        double e = want && got ? rel_error(got->data, want->data, want->n, 1e-3) : 1;
        CHECK(e <= 1e-5, "EMA of '%s' vs torch: %g", GOLD_NAMES[i], e);
    }
    drift_ema_free(ema);
    drift_adamw_free(opt);
    drift_params_free(p);
    golden_free(&g);
}

/* ---- clipping, schedule, EMA against their formulas ------------------ */

static drift_params *small_set(void)
{
    drift_params *p = drift_params_create();
    drift_params_add(p, "a", 2, (int[]){3, 4});
    drift_params_add(p, "b", 1, (int[]){4});
    drift_params_finalize(p);
    return p;
}

static void test_clip(void)
{
    drift_params *p = small_set();
    float *g = drift_params_grad(p);
    for (int i = 0; i < 16; i++)
        g[i] = (float)(i % 5) - 2.0f; /* squares: 4 1 0 1 4 ... */
    double sq = 0;
    for (int i = 0; i < 16; i++)
        sq += (double)g[i] * g[i];
    float before[16];
    memcpy(before, g, sizeof before);
    double n;
    CHECK(drift_clip_grad_norm(p, 100.0f, &n) == DRIFT_OK && fabs(n - sqrt(sq)) < 1e-12, "norm %g", n);
    CHECK(memcmp(before, g, sizeof before) == 0, "no change below max_norm");
    CHECK(drift_clip_grad_norm(p, 0.0f, &n) == DRIFT_OK && memcmp(before, g, sizeof before) == 0,
          "max_norm 0 only measures");
    drift_clip_grad_norm(p, 1.0f, &n);
    double after = 0, coef = 1.0 / (sqrt(sq) + 1e-6);
    for (int i = 0; i < 16; i++) {
        after += (double)g[i] * g[i];
        CHECK(fabs(g[i] - before[i] * coef) < 1e-6, "scaled grad %d", i);
    }
    CHECK(fabs(sqrt(after) - 1.0) < 1e-5, "clipped norm %g", sqrt(after));

    g[13] = NAN;
    memcpy(before, g, sizeof before);
    CHECK(drift_clip_grad_norm(p, 1.0f, &n) == DRIFT_ERR_NUMERIC && isnan(n), "NaN norm reported");
    CHECK(strstr(drift_last_error(), "NaN") && strstr(drift_last_error(), "'b'"),
          "message: %s", drift_last_error());
    CHECK(memcmp(before, g, sizeof before) == 0, "grads untouched on NaN");
    g[13] = 0;
    g[2] = INFINITY;
    CHECK(drift_clip_grad_norm(p, 1.0f, &n) == DRIFT_ERR_NUMERIC && strstr(drift_last_error(), "'a'"),
          "Inf norm reported: %s", drift_last_error());
    drift_params_free(p);
}

static void test_lr_schedule(void)
{
    const double pi = 3.14159265358979323846;
    drift_lr_schedule s = {.base_lr = 1e-3, .min_lr = 1e-5, .warmup_steps = 100, .total_steps = 1100};
    CHECK(fabs(drift_lr_at(&s, 0) - 1e-5) < 1e-18, "first warmup step = base/warmup");
    CHECK(fabs(drift_lr_at(&s, 49) - 5e-4) < 1e-15, "half warmup");
    CHECK(fabs(drift_lr_at(&s, 99) - 1e-3) < 1e-15, "end of warmup = base");
    CHECK(fabs(drift_lr_at(&s, 100) - 1e-3) < 1e-15, "decay starts at base");
    CHECK(fabs(drift_lr_at(&s, 600) - (1e-3 + 1e-5) / 2) < 1e-15, "cosine midpoint");
    double quarter = 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + cos(pi * 0.25));
    CHECK(fabs(drift_lr_at(&s, 350) - quarter) < 1e-15, "quarter way");
    CHECK(fabs(drift_lr_at(&s, 1100) - 1e-5) < 1e-18 && fabs(drift_lr_at(&s, 50000) - 1e-5) < 1e-18,
          "floor at and after the end");
    bool monotone = true;
    for (int64_t k = 101; k < 1100; k++)
        monotone = monotone && drift_lr_at(&s, k) <= drift_lr_at(&s, k - 1);
    CHECK(monotone, "decay is monotone");
    drift_lr_schedule flat = {.base_lr = 0.1, .min_lr = 0.1, .warmup_steps = 0, .total_steps = 0};
    CHECK(drift_lr_at(&flat, 0) == 0.1 && drift_lr_at(&flat, 7) == 0.1, "no warmup, constant");
}

static void test_ema(void)
{
    drift_params *p = small_set();
    float *x = drift_params_data(p);
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    drift_ema *e = drift_ema_create(p, 0.99f, false);
    CHECK(drift_ema_decay_at(e, 0) == 0.99f && drift_ema_decay_at(e, 1000) == 0.99f, "fixed decay");
    for (int i = 0; i < 16; i++)
        x[i] = 100.0f;
    drift_ema_update(e, p);
    const float *s = drift_params_data(drift_ema_params(e));
    CHECK(fabs(s[3] - (0.99 * 3 + 0.01 * 100)) < 1e-4, "one update: %g", (double)s[3]);

    drift_ema *w = drift_ema_create(p, 0.9f, true);
    CHECK(fabsf(drift_ema_decay_at(w, 0) - 0.1f) < 1e-7f, "warmup decay at 0 = 1/10");
    CHECK(fabsf(drift_ema_decay_at(w, 8) - 0.5f) < 1e-7f, "warmup decay at 8 = 9/18");
    CHECK(drift_ema_decay_at(w, 100) == 0.9f, "warmup capped at decay");
    /* Closed form for a constant model value c from shadow s0:
     * s_k = c + (s0 - c) * prod d_j. */
    double prod = 1;
    for (int k = 0; k < 30; k++) {
        prod *= drift_ema_decay_at(w, k);
        drift_ema_update(w, p);
    }
    const float *ws = drift_params_data(drift_ema_params(w));
    CHECK(fabs(ws[0] - (100 + (100.0 - 100) * prod)) < 1e-3 && drift_ema_updates(w) == 30, "steps");

    /* Swap twice is the identity; swap exchanges. */
    float shadow0 = s[5];
    CHECK(drift_ema_swap(e, p) == DRIFT_OK && x[5] == shadow0 && s[5] == 100.0f, "swap exchanges");
    drift_ema_swap(e, p);
    CHECK(x[5] == 100.0f && s[5] == shadow0, "swap back");
    CHECK(drift_ema_copy_to(e, p) == DRIFT_OK && x[5] == shadow0, "copy to model");
    drift_params *other = drift_params_create();
    drift_params_add(other, "a", 2, (int[]){3, 4});
    drift_params_finalize(other);
    CHECK(drift_ema_update(e, other) == DRIFT_ERR_SHAPE, "layout mismatch rejected");
    drift_params_free(other);
    drift_ema_free(w);
    drift_ema_free(e);
    drift_params_free(p);
}

/* ---- big sets: parallel ranges, decay runs, thread independence ------ */

static drift_params *big_set(int scale)
{
    drift_params *p = drift_params_create();
    char name[32];
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "w%d", i);
        drift_params_add(p, name, 2, (int[]){100 * scale + i, 37});
        snprintf(name, sizeof name, "b%d", i);
        drift_params_add(p, name, 1, (int[]){1000 * scale + 3 * i});
    }
    drift_params_finalize(p);
    drift_rng r;
    drift_rng_init(&r, 9, 1);
    drift_rng_normal(&r, drift_params_data(p), drift_params_numel(p));
    drift_rng_normal(&r, drift_params_grad(p), drift_params_numel(p));
    return p;
}

/* Three AdamW steps, measuring the gradient norm (max_norm large enough
 * not to clip); returns the parameters after them. */
static float *run_steps(int threads, int scale, double *norm)
{
    drift_set_threads(threads);
    drift_params *p = big_set(scale);
    drift_adamw_config c = drift_adamw_defaults();
    c.decay_1d = false;
    drift_adamw *o = drift_adamw_create(p, &c);
    for (int k = 0; k < 3; k++) {
        drift_clip_grad_norm(p, 1e9f, norm);
        drift_adamw_step(o, 1e-2);
    }
    size_t n = drift_params_numel(p);
    float *out = malloc(n * sizeof *out);
    memcpy(out, drift_params_data(p), n * sizeof *out);
    drift_adamw_free(o);
    drift_params_free(p);
    return out;
}

static void test_big_and_threads(void)
{
    int scale = getenv("DRIFT_TEST_LIGHT") ? 2 : 8;
    double n1, n2;
    float *a = run_steps(1, scale, &n1), *b = run_steps(2, scale, &n2);
    drift_params *ref = big_set(scale);
    size_t n = drift_params_numel(ref);
    CHECK(n1 == n2, "norm independent of threads: %.17g %.17g", n1, n2);
    CHECK(memcmp(a, b, n * sizeof *a) == 0, "AdamW independent of threads");

    /* Reference in double: gradients are fixed, so three steps of the
     * formula per element, decay only on 2-D tensors. */
    double worst = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sq += (double)drift_params_grad(ref)[i] * drift_params_grad(ref)[i];
    CHECK(fabs(n1 - sqrt(sq)) <= 1e-12 * sqrt(sq), "norm %.17g vs %.17g", n1, sqrt(sq));
    for (size_t t = 0; t < drift_params_count(ref); t++) {
        const drift_tensor *x = drift_params_get(ref, t);
        double wd = x->ndim > 1 ? 0.01 : 0.0;
        for (size_t i = 0; i < x->numel; i++) {
            double p = x->data[i], m = 0, v = 0;
            for (int k = 1; k <= 3; k++) {
                double g = x->grad[i];
                p *= 1 - 1e-2 * wd;
                m = 0.9 * m + 0.1 * g;
                v = 0.999 * v + 0.001 * g * g;
                p -= 1e-2 / (1 - pow(0.9, k)) * m / (sqrt(v / (1 - pow(0.999, k))) + 1e-8);
            }
            size_t off = drift_params_offset(ref, t) + i;
            worst = fmax(worst, fabs(a[off] - p) / fmax(fabs(p), 1e-2));
        }
    }
    printf("big set: %zu params, worst relative error vs double formula %.3g\n", n, worst);
    CHECK(worst < 2e-5, "big AdamW vs double formula: %g", worst);
    free(a);
    free(b);
    drift_params_free(ref);
    drift_set_threads(0);
}

int main(void)
{
    test_layout();
    test_bad_registration();
    test_init();
    test_adamw_golden();
    test_clip();
    test_lr_schedule();
    test_ema();
    test_big_and_threads();
    return test_finish("test_params_optim");
}
