/* bench_samplers.c: sample quality against denoiser calls for each of
 * drift's samplers, on a 1-D Gaussian mixture with its exact denoiser
 * (tests/mixture.c), so that only the sampler's own error shows.
 *
 * For each sampler and step count: the denoiser calls made, the
 * Wasserstein-1 distance between the samples and the mixture, the worst
 * component weight / mean / relative variance error, and the median
 * wall time of 3 runs. The first line is the floor: exact draws from the
 * mixture, of the same number, scored the same way.
 *
 * Usage: bench_samplers [samples]   (default 16384) */
#include "bench_clock.h"
#include "mixture.h"
#include "sampler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void score(const mixture *m, float *x, int n, double *w1, double *mom)
{
    mixture_est e;
    double dw, dmu, dvar;
    mixture_estimate(m, x, n, &e);
    mixture_errors(m, &e, &dw, &dmu, &dvar);
    *mom = fmax(dw / 0.03, fmax(dmu / 0.05, dvar / 0.10)); /* 1 = at the test's tolerance */
    *w1 = mixture_w1(m, x, n);
}

static void row(const drift_schedule *s, const mixture *m, drift_sampler_kind kind, int steps, double rtol, int n,
                float *x)
{
    drift_sampler_options o;
    drift_sampler_defaults(&o, kind);
    if (kind == DRIFT_SAMPLER_PFODE_RK45) {
        o.rtol = o.atol = rtol;
        o.steps = 100000;
    } else {
        o.steps = steps;
    }
    o.seed = 1;
    double t[3];
    long calls = 0;
    for (int r = 0; r < 3; r++) {
        mixture_denoiser md = {.cond = m, .s = s, .prediction = DRIFT_PRED_EPS};
        drift_denoiser d = mixture_denoiser_make(&md);
        double t0 = bench_now();
        drift_status st = drift_sample(s, &d, &o, n, 1, x);
        t[r] = bench_now() - t0;
        calls = md.calls;
        if (st != DRIFT_OK) {
            printf("%-12s %6d  failed: %s\n", drift_sampler_name(kind), steps, drift_last_error());
            return;
        }
    }
    bench_sort(t, 3);
    double w1, mom;
    score(m, x, n, &w1, &mom);
    char st[32];
    if (kind == DRIFT_SAMPLER_PFODE_RK45)
        snprintf(st, sizeof st, "tol %.0e", rtol);
    else
        snprintf(st, sizeof st, "%d", steps);
    printf("| %-12s | %9s | %6ld | %8.4f | %6.2f | %8.1f |\n", drift_sampler_name(kind), st, calls, w1, mom,
           1e3 * t[1]);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 16384;
    if (n < 100)
        n = 100;
    drift_schedule s;
    if (drift_schedule_init(&s, DRIFT_BETA_LINEAR, 1000, false) != DRIFT_OK)
        return 1;
    const double w[3] = {0.25, 0.45, 0.30}, mu[3] = {-3, 0, 2.5}, sd[3] = {0.4, 0.5, 0.3};
    mixture m;
    mixture_1d(&m, 3, w, mu, sd);
    float *x = malloc((size_t)n * sizeof(float));

    printf("1-D mixture (weights .25 .45 .30, means -3 0 2.5, sd .4 .5 .3), linear schedule T=1000,\n"
           "eps-prediction, %d samples. W1: Wasserstein-1 to the mixture. moments: worst of\n"
           "|dw|/0.03, |dmu|/0.05, |dvar/var|/0.10 (1.00 = the test tolerance). ms: median of 3.\n\n",
           n);
    printf("| %-12s | %9s | %6s | %8s | %6s | %8s |\n", "sampler", "steps", "calls", "W1", "moment", "ms");
    printf("|--------------|-----------|--------|----------|--------|----------|\n");
    drift_rng r;
    drift_rng_init(&r, 99, 0);
    mixture_draw(&m, &r, n, x);
    double w1, mom;
    score(&m, x, n, &w1, &mom);
    printf("| %-12s | %9s | %6d | %8.4f | %6.2f | %8s |\n", "exact draws", "-", 0, w1, mom, "-");

    static const int steps_sde[] = {50, 100, 250, 1000};
    static const int steps_ode[] = {5, 10, 20, 25, 50, 100};
    static const int steps_langevin[] = {25, 50, 100, 200};
    for (int k = 0; k < DRIFT_SAMPLER_COUNT; k++) {
        drift_sampler_kind kind = (drift_sampler_kind)k;
        if (kind == DRIFT_SAMPLER_PFODE_RK45) {
            static const double tols[] = {1e-2, 1e-3, 1e-4, 1e-5};
            for (int i = 0; i < 4; i++)
                row(&s, &m, kind, 0, tols[i], n, x);
            continue;
        }
        const int *list = steps_ode;
        int count = 6;
        if (kind == DRIFT_SAMPLER_DDPM || kind == DRIFT_SAMPLER_PC) {
            list = steps_sde;
            count = 4;
        } else if (kind == DRIFT_SAMPLER_LANGEVIN) {
            list = steps_langevin;
            count = 4;
        } else if (kind == DRIFT_SAMPLER_DPMPP_2M_SDE) {
            list = steps_sde;
            count = 3;
        }
        for (int i = 0; i < count; i++)
            row(&s, &m, kind, list[i], 0, n, x);
    }
    free(x);
    drift_schedule_free(&s);
    return 0;
}
