/* test_samplers.c: drift's samplers driven by exact denoisers.
 *
 * Data are Gaussian mixtures (1-D, 2-D, and a product of independent 1-D
 * mixtures in 64-D) whose posterior mean E[x0 | x_t] is closed form
 * (tests/mixture.c). Every sampler at its recommended step count must give
 * back the mixture's component weights (within 0.03), means (0.05) and
 * variances (10%). Deterministic samplers must converge to the
 * probability-flow ODE's solution as steps rise. Single DDIM and DDPM
 * updates match PyTorch float64 (tests/golden/make_schedules.py) and
 * double-precision formulas written here. Also: options errors,
 * determinism, averaged draws, classifier-free guidance batching, img2img starts and
 * zero-terminal-SNR schedules. */
#include "mixture.h"
#include "sampler.h"
#include "testutil.h"
#include "threads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static drift_schedule lin; /* linear, T = 1000 */

/* Component weights and stds chosen so that a component holds at least a
 * quarter of the samples and neighbours are >= 5 sd apart (hard assignment
 * then biases variances by < 0.1%). */
static mixture mix1, mix2, mix64;

static void make_mixtures(void)
{
    const double w[3] = {0.25, 0.45, 0.30}, mu[3] = {-3, 0, 2.5}, sd[3] = {0.4, 0.5, 0.3};
    mixture_1d(&mix1, 3, w, mu, sd);

    memset(&mix2, 0, sizeof mix2);
    mix2.dim = 2;
    mix2.k = 3;
    const double w2[3] = {0.3, 0.3, 0.4}, m2[2][3] = {{-2, 2, 0}, {-1, -1, 2}}, s2[2][3] = {{0.4, 0.3, 0.5}, {0.3, 0.5, 0.3}};
    for (int j = 0; j < 3; j++) {
        mix2.w[0][j] = w2[j];
        for (int d = 0; d < 2; d++) {
            mix2.mu[d][j] = m2[d][j];
            mix2.var[d][j] = s2[d][j] * s2[d][j];
        }
    }

    /* even dimensions: mix1; odd dimensions: two components */
    memset(&mix64, 0, sizeof mix64);
    mix64.dim = 64;
    mix64.k = 3;
    mix64.factorized = true;
    for (int d = 0; d < 64; d++)
        for (int j = 0; j < 3; j++) {
            bool odd = d % 2;
            mix64.w[d][j] = odd ? (double[]){0.4, 0.6, 1e-300}[j] : w[j];
            mix64.mu[d][j] = odd ? (double[]){-1.5, 1.5, 50}[j] : mu[j];
            mix64.var[d][j] = odd ? (double[]){0.09, 0.16, 1}[j] : sd[j] * sd[j];
        }
}

/* Runs a sampler on mixture m; returns x (batch, m->dim) or NULL. */
static float *run(const mixture *m, drift_prediction pred, const drift_sampler_options *o, int batch,
                  mixture_denoiser *md_out)
{
    mixture_denoiser md = {.cond = m, .s = &lin, .prediction = pred};
    drift_denoiser d = mixture_denoiser_make(&md);
    float *x = malloc((size_t)batch * m->dim * sizeof(float));
    drift_status st = drift_sample(&lin, &d, o, batch, (size_t)m->dim, x);
    CHECK(st == DRIFT_OK, "%s: %s", drift_sampler_name(o->kind), drift_last_error());
    long want = drift_sampler_calls(o);
    CHECK(want < 0 || md.calls == want, "%s: %ld calls, predicted %ld", drift_sampler_name(o->kind), md.calls, want);
    if (md_out)
        *md_out = md;
    if (st != DRIFT_OK) {
        free(x);
        return NULL;
    }
    return x;
}

static void check_estimate(const char *what, const mixture *m, const float *x, int n)
{
    mixture_est e;
    double dw, dmu, dvar;
    mixture_estimate(m, x, n, &e);
    mixture_errors(m, &e, &dw, &dmu, &dvar);
    CHECK(dw < 0.03 && dmu < 0.05 && dvar < 0.10, "%s: weight err %.4f, mean err %.4f, var err %.3f", what, dw, dmu,
          dvar);
    if (getenv("DRIFT_TEST_VERBOSE"))
        printf("%-28s w %.4f mu %.4f var %.3f\n", what, dw, dmu, dvar);
}

/* Pools the values of a factorized mixture's dimensions with the same factor. */
static void check_factorized(const char *what, const mixture *m, const float *x, int n)
{
    float *vals = malloc((size_t)n * (m->dim / 2) * sizeof(float));
    for (int parity = 0; parity < 2; parity++) {
        mixture f;
        mixture_marginal(m, parity, &f);
        if (parity)
            f.k = 2;
        int c = 0;
        for (int i = 0; i < n; i++)
            for (int d = parity; d < m->dim; d += 2)
                vals[c++] = x[(size_t)i * m->dim + d];
        char name[96];
        snprintf(name, sizeof name, "%s dims %s", what, parity ? "odd" : "even");
        check_estimate(name, &f, vals, c);
    }
    free(vals);
}

/* ---- every sampler reproduces the mixtures ---- */

static void test_reproduce(void)
{
    /* Values per component (smallest weight x samples, pooled over the 32
     * dimensions of a kind in 64-D) are >= 2048, so the variance standard
     * error is <= 3.1% and the 10% bound > 3 standard errors; 1-D, where
     * most settings are checked, has 4096 (2.2%). */
    const int n1 = 16384, n2 = 8192, n64 = 256;
    for (int k = 0; k < DRIFT_SAMPLER_COUNT; k++) {
        drift_sampler_options o;
        drift_sampler_defaults(&o, (drift_sampler_kind)k);
        o.seed = 11;
        char what[64];
        float *x = run(&mix1, DRIFT_PRED_EPS, &o, n1, NULL);
        snprintf(what, sizeof what, "%s 1-D eps", drift_sampler_name(o.kind));
        if (x)
            check_estimate(what, &mix1, x, n1);
        free(x);
        x = run(&mix2, DRIFT_PRED_V, &o, n2, NULL);
        snprintf(what, sizeof what, "%s 2-D v", drift_sampler_name(o.kind));
        if (x)
            check_estimate(what, &mix2, x, n2);
        free(x);
        x = run(&mix64, DRIFT_PRED_X0, &o, n64, NULL);
        snprintf(what, sizeof what, "%s 64-D x0", drift_sampler_name(o.kind));
        if (x)
            check_factorized(what, &mix64, x, n64);
        free(x);
    }
}

/* Variants not covered by the defaults. */
static void test_variants(void)
{
    const int n = 16384;
    struct { drift_sampler_kind kind; const char *what; } v[] = {
        {DRIFT_SAMPLER_DDPM, "ddpm beta variance"}, {DRIFT_SAMPLER_DDIM, "ddim eta 1"},
        {DRIFT_SAMPLER_EULER, "euler churn"},       {DRIFT_SAMPLER_HEUN, "heun churn"},
        {DRIFT_SAMPLER_PC, "pc no corrector"},      {DRIFT_SAMPLER_DDIM, "ddim trailing"},
        {DRIFT_SAMPLER_DPMPP_2M, "dpm++2m leading"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        drift_sampler_options o;
        drift_sampler_defaults(&o, v[i].kind);
        o.seed = 3;
        if (i == 0)
            o.ddpm_variance = DRIFT_DDPM_BETA;
        if (i == 1) { /* big stochastic steps need many of them */
            o.eta = 1;
            o.steps = 400;
        }
        if (i == 2 || i == 3) {
            o.s_churn = 20;
            o.s_tmin = 0.05;
            o.s_tmax = 50;
            o.steps = i == 2 ? 400 : 100;
        }
        if (i == 4)
            o.corrector = false;
        if (i == 5)
            o.spacing = DRIFT_SPACING_TRAILING;
        if (i == 6) {
            o.spacing = DRIFT_SPACING_LEADING;
            o.steps = 100;
        }
        float *x = run(&mix1, DRIFT_PRED_EPS, &o, n, NULL);
        if (x)
            check_estimate(v[i].what, &mix1, x, n);
        free(x);
    }
}

/* ---- convergence of the deterministic samplers ---- */

static double path_error(const float *a, const float *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += fabs((double)a[i] - b[i]);
    return s / n;
}

static void test_convergence(void)
{
    const int n = 2048;
    drift_sampler_options o;
    /* reference: DPM-Solver++(2M) with 2000 steps, cross-checked with RK45 */
    drift_sampler_defaults(&o, DRIFT_SAMPLER_DPMPP_2M);
    o.steps = 2000;
    float *ref = run(&mix1, DRIFT_PRED_EPS, &o, n, NULL);
    drift_sampler_defaults(&o, DRIFT_SAMPLER_PFODE_RK45);
    o.rtol = o.atol = 1e-7;
    o.steps = 100000;
    float *rk = run(&mix1, DRIFT_PRED_EPS, &o, n, NULL);
    if (!ref || !rk) {
        free(ref);
        free(rk);
        return;
    }
    double cross = path_error(rk, ref, n);
    CHECK(cross < 2e-3, "rk45 (rtol 1e-7) and dpm++2m (2000 steps) disagree by %g", cross);
    drift_sampler_kind kinds[] = {DRIFT_SAMPLER_DDIM, DRIFT_SAMPLER_EULER, DRIFT_SAMPLER_HEUN, DRIFT_SAMPLER_DPMPP_2M,
                                  DRIFT_SAMPLER_PFODE_RK45};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        double err[2];
        for (int s = 0; s < 2; s++) {
            drift_sampler_defaults(&o, kinds[k]);
            if (kinds[k] == DRIFT_SAMPLER_PFODE_RK45)
                o.rtol = o.atol = s ? 1e-5 : 1e-2;
            else
                o.steps = s ? 100 : 10;
            float *x = run(&mix1, DRIFT_PRED_EPS, &o, n, NULL);
            err[s] = x ? path_error(x, ref, n) : INFINITY;
            free(x);
        }
        CHECK(err[1] < err[0] && err[1] < 0.05, "%s: error %g at 10 steps, %g at 100", drift_sampler_name(kinds[k]),
              err[0], err[1]);
        if (getenv("DRIFT_TEST_VERBOSE"))
            printf("%s: path error %g (coarse) %g (fine)\n", drift_sampler_name(kinds[k]), err[0], err[1]);
    }
    free(ref);
    free(rk);
}

/* ---- single updates against PyTorch and double-precision formulas ---- */

static void test_steps_golden(void)
{
    golden_file g;
    if (!golden_load(&g, test_path("golden/schedules.bin")))
        return;
    const golden_tensor *xt = golden_get(&g, "step.xt"), *pred = golden_get(&g, "step.pred"), *z = golden_get(&g, "step.z");
    if (!xt || !pred || !z) {
        golden_free(&g);
        return;
    }
    size_t n = xt->n;
    float x0[64], eps[64], out[64];
    const int t = 500, prevs[2] = {499, 480};
    double at = lin.alphas_cumprod[t], a, sg;
    drift_schedule_alpha_sigma(&lin, t, &a, &sg);
    for (int kind = 0; kind < 2; kind++) {
        drift_prediction p = kind ? DRIFT_PRED_V : DRIFT_PRED_EPS;
        const char *kn = kind ? "v" : "eps";
        char key[64];
        drift_prediction_convert(p, a, sg, xt->data, pred->data, n, x0, eps, NULL);
        snprintf(key, sizeof key, "step.%s.x0", kn);
        const golden_tensor *gx0 = golden_get(&g, key);
        CHECK(gx0 && rel_error(x0, gx0->data, n, 1) < 1e-5, "%s: x0 from prediction", key);
        for (int e = 0; e < 2; e++) {
            double eta = e ? 0.5 : 0;
            double ap = lin.alphas_cumprod[480], ap_a, ap_s;
            drift_schedule_alpha_sigma(&lin, 480, &ap_a, &ap_s);
            drift_ddim_step(a, sg, ap_a, ap_s, eta, x0, eps, z->data, n, out);
            snprintf(key, sizeof key, "step.%s.ddim_eta%g", kn, eta);
            const golden_tensor *gd = golden_get(&g, key);
            CHECK(gd && rel_error(out, gd->data, n, 1) < 1e-5, "%s vs torch", key);
            /* Song et al. eq. 12 in double, written from eps */
            double sd = eta * sqrt((1 - ap) / (1 - at) * (1 - at / ap)), worst = 0;
            for (size_t i = 0; i < n; i++) {
                double e_i = eps[i], x0_i = (xt->data[i] - sqrt(1 - at) * e_i) / sqrt(at);
                if (kind)
                    x0_i = x0[i];
                double ref = sqrt(ap) * x0_i + sqrt(1 - ap - sd * sd) * e_i + sd * z->data[i];
                worst = fmax(worst, fabs(out[i] - ref));
            }
            CHECK(worst < 1e-5, "%s vs double formula: %g", key, worst);
        }
        for (int q = 0; q < 2; q++) {
            double pa, ps, var[2];
            drift_schedule_alpha_sigma(&lin, prevs[q], &pa, &ps);
            drift_ddpm_posterior(a, sg, pa, ps, DRIFT_DDPM_POSTERIOR, xt->data, x0, n, out, &var[0]);
            drift_ddpm_posterior(a, sg, pa, ps, DRIFT_DDPM_BETA, xt->data, x0, n, out, &var[1]);
            snprintf(key, sizeof key, "step.%s.ddpm_mean_%d", kn, prevs[q]);
            const golden_tensor *gm = golden_get(&g, key);
            CHECK(gm && rel_error(out, gm->data, n, 1) < 1e-5, "%s vs torch", key);
            snprintf(key, sizeof key, "step.%s.ddpm_var_%d", kn, prevs[q]);
            const golden_tensor *gv = golden_get(&g, key);
            CHECK(gv && fabs(var[0] / gv->data[0] - 1) < 1e-5 && fabs(var[1] / gv->data[1] - 1) < 1e-5,
                  "%s: %g %g", key, var[0], var[1]);
            /* Ho et al. eq. 7 in double from the beta table (adjacent steps) */
            if (prevs[q] == t - 1) {
                double beta = lin.betas[t], abp = lin.alphas_cumprod[t - 1], worst = 0;
                for (size_t i = 0; i < n; i++) {
                    double ref = sqrt(abp) * beta / (1 - at) * x0[i] + sqrt(1 - beta) * (1 - abp) / (1 - at) * xt->data[i];
                    worst = fmax(worst, fabs(out[i] - ref));
                }
                CHECK(worst < 1e-5 && fabs(var[0] - (1 - abp) / (1 - at) * beta) < 1e-12 && fabs(var[1] - beta) < 1e-12,
                      "ddpm posterior vs eq. 7: %g", worst);
            }
        }
    }
    golden_free(&g);
    /* the conversion layer inverts every training target */
    float tx0[5] = {0.3f, -1.2f, 2.0f, 0.0f, 0.7f}, teps[5] = {-0.5f, 0.1f, 1.3f, -2.0f, 0.4f}, tx[5], tg[5], r0[5], re[5], sc[5];
    drift_schedule_alpha_sigma(&lin, 321.5, &a, &sg);
    for (int i = 0; i < 5; i++)
        tx[i] = (float)(a * tx0[i] + sg * teps[i]);
    for (int p = 0; p < 3; p++) {
        drift_prediction_target((drift_prediction)p, a, sg, tx0, teps, 5, tg);
        drift_prediction_convert((drift_prediction)p, a, sg, tx, tg, 5, r0, re, sc);
        double worst = fmax(max_abs_diff(r0, tx0, 5), max_abs_diff(re, teps, 5));
        for (int i = 0; i < 5; i++)
            worst = fmax(worst, fabs(sc[i] + teps[i] / sg) * sg);
        CHECK(worst < 1e-4, "conversion round trip for %s: %g", drift_prediction_name((drift_prediction)p), worst);
    }
}

/* ---- errors ---- */

static drift_status failing_fn(void *user, int rows, size_t dim, const float *x, const float *t, const int *sample,
                               const unsigned char *uncond, float *pred)
{
    int *count = user;
    if (++*count == 3)
        return drift_fail(DRIFT_ERR_IO, "network weights vanished");
    for (size_t i = 0; i < (size_t)rows * dim; i++)
        pred[i] = *count == 2 && i == 1 ? NAN : 0.0f;
    return DRIFT_OK;
}

static void expect_error(const drift_sampler_options *o, const drift_denoiser *d, int batch, const char *needle)
{
    float x[8];
    drift_status st = drift_sample(&lin, d, o, batch, 2, x);
    CHECK(st != DRIFT_OK && strstr(drift_last_error(), needle), "expected an error with '%s', got %d '%s'", needle,
          (int)st, drift_last_error());
}

static void test_errors(void)
{
    drift_sampler_kind k;
    CHECK(drift_sampler_parse("dpm++3m", &k) == DRIFT_ERR_ARG && strstr(drift_last_error(), "dpm++3m") &&
              strstr(drift_last_error(), "valid: ddpm"),
          "unknown sampler: %s", drift_last_error());
    for (int i = 0; i < DRIFT_SAMPLER_COUNT; i++)
        CHECK(drift_sampler_parse(drift_sampler_name((drift_sampler_kind)i), &k) == DRIFT_OK && (int)k == i, "name %d", i);
    CHECK(drift_sampler_parse("dpmpp_2m", &k) == DRIFT_OK && k == DRIFT_SAMPLER_DPMPP_2M, "alias");
    drift_spacing sp;
    CHECK(drift_spacing_parse("cubic", &sp) == DRIFT_ERR_ARG && strstr(drift_last_error(), "karras"), "spacing");
    drift_prediction pp;
    CHECK(drift_prediction_parse("v_prediction", &pp) == DRIFT_OK && pp == DRIFT_PRED_V &&
              drift_prediction_parse("score", &pp) == DRIFT_ERR_ARG,
          "prediction names");

    mixture_denoiser md = {.cond = &mix1, .s = &lin, .prediction = DRIFT_PRED_EPS};
    drift_denoiser d = mixture_denoiser_make(&md);
    drift_sampler_options o;
    drift_sampler_defaults(&o, DRIFT_SAMPLER_DDIM);
    o.steps = 0;
    expect_error(&o, &d, 2, "steps must be >= 1, got 0");
    drift_sampler_defaults(&o, DRIFT_SAMPLER_DDIM);
    o.eta = -0.5;
    expect_error(&o, &d, 2, "eta must be in [0, 1], got -0.5");
    drift_sampler_defaults(&o, DRIFT_SAMPLER_DPMPP_2M);
    o.guidance = 2;
    expect_error(&o, &d, 2, "unconditional branch");
    drift_sampler_defaults(&o, DRIFT_SAMPLER_DDIM);
    o.strength = 0.5;
    expect_error(&o, &d, 2, "needs x_init");
    drift_sampler_defaults(&o, DRIFT_SAMPLER_DDIM);
    o.spacing = DRIFT_SPACING_TRAILING;
    o.steps = 2000;
    expect_error(&o, &d, 2, "trailing");
    drift_sampler_defaults(&o, DRIFT_SAMPLER_DDIM);
    expect_error(&o, &d, 0, "bad batch 0");
    o.kind = (drift_sampler_kind)42;
    expect_error(&o, &d, 2, "unknown sampler kind 42");

    /* a failing network stops sampling with its own message; NaN is caught */
    int count = 0;
    drift_denoiser bad = {failing_fn, &count, DRIFT_PRED_EPS, false};
    drift_sampler_defaults(&o, DRIFT_SAMPLER_DDIM);
    expect_error(&o, &bad, 2, "returned nan");
    count = 2;
    expect_error(&o, &bad, 2, "network weights vanished");
}

/* ---- determinism ---- */

static void test_determinism(void)
{
    drift_sampler_kind kinds[] = {DRIFT_SAMPLER_DDPM, DRIFT_SAMPLER_DPMPP_2M_SDE, DRIFT_SAMPLER_PFODE_RK45,
                                  DRIFT_SAMPLER_EULER};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        drift_sampler_options o;
        drift_sampler_defaults(&o, kinds[k]);
        o.steps = kinds[k] == DRIFT_SAMPLER_PFODE_RK45 ? 1000 : 60;
        o.s_churn = 5; /* Euler: stochastic churn too */
        o.seed = 77;
        drift_set_threads(1);
        float *a = run(&mix2, DRIFT_PRED_EPS, &o, 64, NULL);
        drift_set_threads(2);
        float *b = run(&mix2, DRIFT_PRED_EPS, &o, 64, NULL);
        float *c = run(&mix2, DRIFT_PRED_EPS, &o, 16, NULL);
        o.seed = 78;
        float *e = run(&mix2, DRIFT_PRED_EPS, &o, 64, NULL);
        const char *nm = drift_sampler_name(kinds[k]);
        if (a && b && c && e) {
            CHECK(memcmp(a, b, 64 * 2 * sizeof(float)) == 0, "%s: same seed, other thread count differs", nm);
            CHECK(memcmp(a, c, 16 * 2 * sizeof(float)) == 0, "%s: a sample depends on the batch size", nm);
            CHECK(memcmp(a, e, 64 * 2 * sizeof(float)) != 0, "%s: another seed gives the same output", nm);
        }
        free(a);
        free(b);
        free(c);
        free(e);
    }
}

/* ---- draws: the mean of independent samples per row ---- */

static void test_draws(void)
{
    enum { B = 24, DRAWS = 3 };
    drift_sampler_options o;
    drift_sampler_defaults(&o, DRIFT_SAMPLER_DDPM);
    o.steps = 40;
    o.seed = 9;
    o.draws = DRAWS;
    float *mean = run(&mix2, DRIFT_PRED_EPS, &o, B, NULL);
    /* the same draws one at a time: draw d is each row's stream with d in bits 48.. */
    uint64_t streams[B];
    float sum[B * 2] = {0};
    o.draws = 1;
    o.streams = streams;
    bool differ = false;
    for (int d = 0; d < DRAWS; d++) {
        for (int b = 0; b < B; b++)
            streams[b] = (uint64_t)b ^ ((uint64_t)d << 48);
        float *x = run(&mix2, DRIFT_PRED_EPS, &o, B, NULL);
        for (int i = 0; x && i < B * 2; i++) {
            differ |= d > 0 && x[i] != sum[i] / (float)d;
            sum[i] += x[i];
        }
        free(x);
    }
    for (int i = 0; i < B * 2; i++)
        sum[i] /= (float)DRAWS;
    CHECK(differ, "draws: every draw gave the same samples");
    CHECK(mean && memcmp(mean, sum, sizeof sum) == 0, "draws: %d draws are not the mean of the draws run one by one",
          DRAWS);
    free(mean);
    o.draws = DRIFT_SAMPLER_MAX_DRAWS + 1;
    o.streams = NULL;
    mixture_denoiser md = {.cond = &mix2, .s = &lin, .prediction = DRIFT_PRED_EPS};
    drift_denoiser dn = mixture_denoiser_make(&md);
    float x[2];
    CHECK(drift_sample(&lin, &dn, &o, 1, 2, x) == DRIFT_ERR_ARG && strstr(drift_last_error(), "draws"),
          "draws: %d draws accepted", o.draws);
}

/* ---- classifier-free guidance ---- */

typedef struct combined {
    mixture_denoiser c, u;
    double w;
    float *tmp;
} combined;

/* The guided prediction computed directly: u + w (c - u). */
static drift_status combined_fn(void *user, int rows, size_t dim, const float *x, const float *t, const int *sample,
                                const unsigned char *uncond, float *pred)
{
    combined *cb = user;
    mixture_denoise_fn(&cb->c, rows, dim, x, t, sample, uncond, pred);
    mixture_denoise_fn(&cb->u, rows, dim, x, t, sample, uncond, cb->tmp);
    for (size_t i = 0; i < (size_t)rows * dim; i++)
        pred[i] = (float)(cb->tmp[i] + cb->w * ((double)pred[i] - cb->tmp[i]));
    return DRIFT_OK;
}

static void test_guidance(void)
{
    const double w[2] = {0.5, 0.5}, mu[2] = {-1, 1.5}, sd[2] = {0.4, 0.4};
    mixture mixb;
    mixture_1d(&mixb, 2, w, mu, sd);
    const int n = 1024;
    drift_sampler_options o;
    drift_sampler_defaults(&o, DRIFT_SAMPLER_DPMPP_2M_SDE);
    o.guidance = 3;
    o.seed = 5;
    mixture_denoiser md = {.cond = &mix1, .uncond = &mixb, .s = &lin, .prediction = DRIFT_PRED_EPS};
    drift_denoiser d = mixture_denoiser_make(&md);
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    CHECK(drift_sample(&lin, &d, &o, n, 1, x) == DRIFT_OK, "guided: %s", drift_last_error());
    CHECK(md.calls == o.steps && md.rows == 2L * n * o.steps && md.bad_layout == 0,
          "guided calls %ld rows %ld, %d badly laid out", md.calls, md.rows, md.bad_layout);
    combined cb = {{.cond = &mix1, .s = &lin, .prediction = DRIFT_PRED_EPS},
                   {.cond = &mixb, .s = &lin, .prediction = DRIFT_PRED_EPS}, 3, malloc(n * sizeof(float))};
    drift_denoiser dc = {combined_fn, &cb, DRIFT_PRED_EPS, false};
    o.guidance = 1;
    CHECK(drift_sample(&lin, &dc, &o, n, 1, y) == DRIFT_OK, "combined: %s", drift_last_error());
    double diff = max_abs_diff(x, y, n);
    CHECK(diff < 1e-4, "guidance 3 differs from u + 3 (c - u) by %g", diff);
    free(cb.tmp);
    /* scale 0 samples the unconditional model */
    const int n0 = 16384;
    float *z = malloc(n0 * sizeof(float));
    o.guidance = 0;
    md.calls = 0;
    CHECK(drift_sample(&lin, &d, &o, n0, 1, z) == DRIFT_OK, "guidance 0: %s", drift_last_error());
    check_estimate("guidance 0 = unconditional", &mixb, z, n0);
    free(x);
    free(y);
    free(z);
}

/* ---- img2img / SDEdit start ---- */

static void count_progress(void *user, int step, int total)
{
    int *p = user;
    p[0]++;
    p[1] = step;
    p[2] = total;
}

static void test_img2img(void)
{
    const int n = 16384;
    float *x = malloc(n * sizeof(float)), *init = malloc(n * sizeof(float));
    drift_rng r;
    drift_rng_init(&r, 123, 0);
    mixture_draw(&mix1, &r, n, init);
    check_estimate("exact draws", &mix1, init, n);
    drift_sampler_options o;
    drift_sampler_defaults(&o, DRIFT_SAMPLER_DDIM);
    o.x_init = init;
    o.strength = 0.5;
    int prog[3] = {0, 0, 0};
    o.progress = count_progress;
    o.progress_user = prog;
    float *y = run(&mix1, DRIFT_PRED_EPS, &o, n, NULL);
    if (y)
        check_estimate("ddim from x_init at strength 0.5", &mix1, y, n);
    CHECK(prog[0] == o.steps && prog[1] == o.steps && prog[2] == o.steps, "progress %d calls, last %d/%d", prog[0],
          prog[1], prog[2]);
    free(y);
    /* low strength stays near the start; x may alias x_init */
    memcpy(x, init, n * sizeof(float));
    o.x_init = x;
    o.strength = 0.02;
    o.progress = NULL;
    mixture_denoiser md = {.cond = &mix1, .s = &lin, .prediction = DRIFT_PRED_EPS};
    drift_denoiser d = mixture_denoiser_make(&md);
    CHECK(drift_sample(&lin, &d, &o, n, 1, x) == DRIFT_OK, "img2img in place: %s", drift_last_error());
    double moved = 0;
    for (int i = 0; i < n; i++)
        moved += fabs(x[i] - init[i]);
    moved /= n;
    /* noise of sd sigma at t = 0.02 (T-1) moves a point by 0.8 sigma on
     * average; denoising takes part of it back */
    double sig;
    drift_schedule_alpha_sigma(&lin, 0.02 * 999, NULL, &sig);
    CHECK(moved > 0.05 * sig && moved < sig, "strength 0.02 moved samples by %g on average (sigma %g)", moved, sig);
    free(x);
    free(init);
}

/* ---- zero terminal SNR ---- */

static void test_zero_snr(void)
{
    drift_schedule z;
    drift_schedule_init(&z, DRIFT_BETA_LINEAR, 1000, true);
    const int n = 16384;
    float *x = malloc(n * sizeof(float));
    drift_sampler_kind exact[] = {DRIFT_SAMPLER_DDIM, DRIFT_SAMPLER_DPMPP_2M, DRIFT_SAMPLER_DDPM};
    for (size_t k = 0; k < 3; k++) {
        drift_sampler_options o;
        drift_sampler_defaults(&o, exact[k]);
        o.spacing = DRIFT_SPACING_TRAILING;
        mixture_denoiser md = {.cond = &mix1, .s = &z, .prediction = DRIFT_PRED_V};
        drift_denoiser d = mixture_denoiser_make(&md);
        char what[64];
        snprintf(what, sizeof what, "zero SNR %s v trailing", drift_sampler_name(exact[k]));
        CHECK(drift_sample(&z, &d, &o, n, 1, x) == DRIFT_OK, "%s: %s", what, drift_last_error());
        check_estimate(what, &mix1, x, n);
    }
    /* eps-prediction is undefined at alpha = 0: every sampler stays finite */
    for (int k = 0; k < DRIFT_SAMPLER_COUNT; k++) {
        drift_sampler_options o;
        drift_sampler_defaults(&o, (drift_sampler_kind)k);
        o.spacing = k == DRIFT_SAMPLER_DDIM ? DRIFT_SPACING_TRAILING : DRIFT_SPACING_DEFAULT;
        mixture_denoiser md = {.cond = &mix1, .s = &z, .prediction = DRIFT_PRED_EPS};
        drift_denoiser d = mixture_denoiser_make(&md);
        drift_status st = drift_sample(&z, &d, &o, 128, 1, x);
        bool finite = true;
        for (int i = 0; i < 128; i++)
            finite = finite && isfinite(x[i]);
        CHECK(st == DRIFT_OK && finite, "zero SNR eps %s: status %d, finite %d", drift_sampler_name(o.kind), (int)st,
              finite);
    }
    free(x);
    drift_schedule_free(&z);
}

/* A denoiser sure that every sample is 3: x0 prediction 3. */
static drift_status three_fn(void *user, int rows, size_t dim, const float *x, const float *t, const int *sample,
                             const unsigned char *uncond, float *pred)
{
    (void)user, (void)x, (void)t, (void)sample, (void)uncond;
    for (size_t i = 0; i < (size_t)rows * dim; i++)
        pred[i] = 3.0f;
    return DRIFT_OK;
}

/* With a data range, x0 predictions are clamped into it at every step:
 * the samplers end at the range's edge instead of at 3. */
static void test_x0_range(void)
{
    drift_denoiser d = {three_fn, NULL, DRIFT_PRED_X0, false};
    drift_sampler_kind kinds[] = {DRIFT_SAMPLER_DDIM, DRIFT_SAMPLER_DPMPP_2M, DRIFT_SAMPLER_EULER, DRIFT_SAMPLER_HEUN};
    float x[64];
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        for (int clamp = 0; clamp < 2; clamp++) {
            drift_sampler_options o;
            drift_sampler_defaults(&o, kinds[k]);
            o.steps = 10;
            o.x0_min = clamp ? -1 : 0;
            o.x0_max = clamp ? 1 : 0;
            CHECK(drift_sample(&lin, &d, &o, 4, 16, x) == DRIFT_OK, "x0 range: %s", drift_last_error());
            double want = clamp ? 1 : 3, worst = 0;
            for (int i = 0; i < 64; i++)
                worst = fmax(worst, fabs(x[i] - want));
            CHECK(worst < 1e-3, "%s, x0 range %s: ends at %g (off by %g)", drift_sampler_name(kinds[k]),
                  clamp ? "[-1, 1]" : "off", want, worst);
        }
}

int main(void)
{
    drift_schedule_init(&lin, DRIFT_BETA_LINEAR, 1000, false);
    make_mixtures();
    test_steps_golden();
    test_errors();
    test_determinism();
    test_draws();
    test_guidance();
    test_img2img();
    test_zero_snr();
    test_x0_range();
    test_reproduce();
    test_variants();
    test_convergence();
    drift_schedule_free(&lin);
    return test_finish("test_samplers");
}
