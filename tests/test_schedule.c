/* test_schedule.c: drift's noise schedules against PyTorch float64 tables
 * (tests/golden/make_schedules.py): alpha_bar, sigma, log-SNR and sigma_VE
 * of the linear, cosine and sigmoid schedules with and without the
 * zero-terminal-SNR rescale, the continuous view at fractional times, its
 * inverses, the forward process, and bad arguments. */
#include "schedule.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Relative error of a against b where both are finite; infinities must match. */
static double table_error(const char *what, const double *a, const float *b, int n)
{
    double worst = 0;
    for (int i = 0; i < n; i++) {
        if (isinf(b[i]) || isinf(a[i])) {
            CHECK(a[i] == (double)b[i], "%s[%d]: %g vs %g", what, i, a[i], b[i]);
            continue;
        }
        double e = fabs(a[i] - b[i]) / fmax(fabs((double)b[i]), 1e-30);
        worst = fmax(worst, e);
    }
    return worst;
}

static void check_schedule(const golden_file *g, drift_beta_schedule kind, bool zsnr)
{
    char name[64], key[96];
    snprintf(name, sizeof name, "%s%s", drift_beta_schedule_name(kind), zsnr ? "_zsnr" : "");
    drift_schedule s;
    CHECK(drift_schedule_init(&s, kind, 1000, zsnr) == DRIFT_OK, "%s: init: %s", name, drift_last_error());
    double *tab = malloc(1000 * sizeof(double));
    static const char *const fields[] = {"abar", "sigma", "log_snr", "sigma_ve"};
    for (int f = 0; f < 4; f++) {
        snprintf(key, sizeof key, "%s.%s", name, fields[f]);
        const golden_tensor *gt = golden_get(g, key);
        if (!gt || gt->n != 1000)
            continue;
        for (int i = 0; i < 1000; i++) {
            if (f == 0)
                tab[i] = s.alphas_cumprod[i];
            else if (f == 1)
                drift_schedule_alpha_sigma(&s, i, NULL, &tab[i]);
            else if (f == 2)
                tab[i] = drift_schedule_log_snr(&s, i);
            else
                tab[i] = drift_schedule_sigma_ve(&s, i);
        }
        /* float32 golden values: a few ulp; log-SNR near its zero crossing
         * is compared absolutely below */
        double e = table_error(key, tab, gt->data, 1000);
        if (f == 2) {
            e = 0;
            for (int i = 0; i < 1000; i++)
                if (isfinite(tab[i]))
                    e = fmax(e, fabs(tab[i] - gt->data[i]) / fmax(1, fabs(gt->data[i])));
        }
        CHECK(e < 2e-6, "%s: relative error %g", key, e);
    }
    snprintf(key, sizeof key, "%s.frac_t", name);
    const golden_tensor *ft = golden_get(g, key);
    snprintf(key, sizeof key, "%s.frac_log_snr", name);
    const golden_tensor *fl = golden_get(g, key);
    for (size_t i = 0; ft && fl && i < ft->n; i++) {
        double l = drift_schedule_log_snr(&s, ft->data[i]);
        CHECK(fabs(l - fl->data[i]) < 2e-6 * fmax(1, fabs(fl->data[i])), "%s at t=%g: %g vs %g", key, ft->data[i], l,
              fl->data[i]);
        /* the inverse gives the time back */
        double t = drift_schedule_t_of_log_snr(&s, l);
        CHECK(fabs(t - ft->data[i]) < 1e-6, "%s: t(lambda(%g)) = %.9g", name, ft->data[i], t);
    }
    /* alpha^2 + sigma^2 = 1, monotone lambda, sigma_VE inverse, clamping */
    double prev = INFINITY, worst = 0;
    for (double t = 0; t <= 999; t += 0.37) {
        double a, sg;
        drift_schedule_alpha_sigma(&s, t, &a, &sg);
        worst = fmax(worst, fabs(a * a + sg * sg - 1));
        double l = drift_schedule_log_snr(&s, t);
        CHECK(l < prev, "%s: log-SNR not decreasing at t=%g", name, t);
        prev = l;
        double sv = drift_schedule_sigma_ve(&s, t);
        CHECK(fabs(drift_schedule_t_of_sigma_ve(&s, sv) - t) < 1e-6, "%s: t(sigma_VE(%g))", name, t);
    }
    CHECK(worst < 1e-12, "%s: alpha^2 + sigma^2 - 1 = %g", name, worst);
    CHECK(drift_schedule_t_of_log_snr(&s, 100) == 0 && drift_schedule_t_of_log_snr(&s, -INFINITY) == 999,
          "%s: inverse clamps", name);
    CHECK(drift_schedule_log_snr(&s, -5) == s.log_snr[0] && drift_schedule_log_snr(&s, 2000) == s.log_snr[999],
          "%s: time clamps", name);
    if (zsnr) {
        CHECK(s.alphas_cumprod[999] == 0 && isinf(s.log_snr[999]) && isfinite(drift_schedule_log_snr(&s, 998.999)),
              "%s: zero terminal SNR", name);
        double a;
        drift_schedule_alpha_sigma(&s, 999, &a, NULL);
        CHECK(a == 0, "%s: alpha(T-1) = %g", name, a);
    }
    free(tab);
    drift_schedule_free(&s);
}

static void test_forward(void)
{
    drift_schedule s;
    drift_schedule_init(&s, DRIFT_BETA_LINEAR, 1000, false);
    enum { N = 100000 };
    float *x0 = malloc(N * sizeof(float)), *xt = malloc(N * sizeof(float)), *eps = malloc(N * sizeof(float));
    for (int i = 0; i < N; i++)
        x0[i] = 2.0f;
    drift_rng r;
    drift_rng_init(&r, 5, 0);
    double t = 300.5, a, sg;
    drift_forward_rng(&s, t, x0, N, &r, eps, xt);
    drift_schedule_alpha_sigma(&s, t, &a, &sg);
    /* exact relation with the drawn noise, and the moments of q(x_t | x_0) */
    double worst = 0, m = 0, v = 0;
    for (int i = 0; i < N; i++) {
        worst = fmax(worst, fabs(xt[i] - (sqrt(drift_schedule_alpha_bar(&s, t)) * 2 + sqrt(1 - drift_schedule_alpha_bar(&s, t)) * eps[i])));
        m += xt[i];
    }
    m /= N;
    for (int i = 0; i < N; i++)
        v += (xt[i] - m) * (xt[i] - m);
    v /= N - 1;
    CHECK(worst < 1e-5, "forward: x_t = a x0 + s eps off by %g", worst);
    CHECK(fabs(m - 2 * a) < 5 * sg / sqrt(N) && fabs(v / (sg * sg) - 1) < 5 * sqrt(2.0 / N),
          "forward moments %g %g vs %g %g", m, v, 2 * a, sg * sg);
    /* the same stream without eps_out, in place over x0 */
    drift_rng_init(&r, 5, 0);
    drift_forward_rng(&s, t, x0, N, &r, NULL, x0);
    CHECK(memcmp(x0, xt, N * sizeof(float)) == 0, "forward in place matches");
    drift_forward(&s, t, xt, eps, 3, eps);
    free(x0);
    free(xt);
    free(eps);
    drift_schedule_free(&s);
}

static void test_errors(void)
{
    drift_schedule s;
    CHECK(drift_schedule_init(&s, DRIFT_BETA_LINEAR, 1, false) == DRIFT_ERR_ARG &&
              strstr(drift_last_error(), "got 1"),
          "T=1 rejected: %s", drift_last_error());
    drift_schedule_free(&s);
    double b[3] = {0.1, 1.5, 0.2};
    CHECK(drift_schedule_init_betas(&s, b, 3, false) == DRIFT_ERR_ARG && strstr(drift_last_error(), "beta[1]"),
          "bad beta rejected: %s", drift_last_error());
    drift_beta_schedule k;
    CHECK(drift_beta_schedule_parse("quadratic", &k) == DRIFT_ERR_ARG && strstr(drift_last_error(), "cosine"),
          "unknown schedule name: %s", drift_last_error());
    CHECK(drift_beta_schedule_parse("squaredcos_cap_v2", &k) == DRIFT_OK && k == DRIFT_BETA_COSINE, "alias");
    for (int i = 0; i < 3; i++)
        CHECK(drift_beta_schedule_parse(drift_beta_schedule_name((drift_beta_schedule)i), &k) == DRIFT_OK &&
                  k == (drift_beta_schedule)i,
              "name round trip %d", i);
    /* custom betas: the linear table given explicitly equals the built-in */
    double lb[1000];
    for (int i = 0; i < 1000; i++)
        lb[i] = 1e-4 + (0.02 - 1e-4) * i / 999.0;
    drift_schedule a, c;
    drift_schedule_init_betas(&a, lb, 1000, true);
    drift_schedule_init(&c, DRIFT_BETA_LINEAR, 1000, true);
    CHECK(memcmp(a.alphas_cumprod, c.alphas_cumprod, 1000 * sizeof(double)) == 0, "custom betas");
    drift_schedule_free(&a);
    drift_schedule_free(&c);
}

int main(void)
{
    golden_file g;
    if (golden_load(&g, test_path("golden/schedules.bin"))) {
        for (int k = 0; k < 3; k++) {
            check_schedule(&g, (drift_beta_schedule)k, false);
            check_schedule(&g, (drift_beta_schedule)k, true);
        }
        golden_free(&g);
    }
    test_forward();
    test_errors();
    return test_finish("test_schedule");
}
