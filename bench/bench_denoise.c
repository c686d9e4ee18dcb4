/* bench_denoise.c: real-time factor of drift's denoising at default
 * settings (time to denoise / audio duration; the target is <= 0.5).
 *   bench_denoise [MODEL] [--rate HZ] [--seconds S] [--runs N]
 * Times 10 s of mono audio (harmonic bursts in pink noise at 5 dB) through
 * the whole in-memory path (resampling, windows, sampler, phase, cross-
 * fades) with the diffusion method (when a model is given) and with the
 * spectral method; prints the median of N runs of each. */
#include "bench_clock.h"
#include "audio/denoise.h"
#include "audio/noise.h"
#include "audio/pairs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void test_signal(float *x, size_t n, int rate)
{
    float *noise = malloc(n * sizeof(float));
    double ph = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate, v = 0;
        ph += 2 * M_PI * (150 + 30 * sin(2 * M_PI * 1.3 * t)) / rate;
        for (int k = 1; k <= 12; k++)
            v += sin(k * ph) / k;
        x[i] = (float)(0.1 * (fmod(t, 0.6) < 0.4 ? v : 0));
    }
    drift_rng r;
    drift_rng_init(&r, 1, 1);
    drift_noise_generate(DRIFT_NOISE_PINK, rate, n, &r, NULL, noise);
    drift_mix_at_snr(x, noise, n, 5, x);
    free(noise);
}

/* Median seconds of `runs` denoisings of x: (n) at rate. */
static double time_method(drift_model *m, drift_denoise_method method, const float *x, size_t n, int rate, int runs)
{
    drift_denoise_options o;
    drift_denoise_options_default(&o);
    o.method = method;
    drift_audio_denoiser *d;
    if (drift_audio_denoiser_create(m, &o, &d) != DRIFT_OK) {
        fprintf(stderr, "bench_denoise: %s\n", drift_last_error());
        return NAN;
    }
    float *y = malloc(n * sizeof(float));
    double t[32];
    drift_audio_denoise_buffer(d, x, n, 1, rate, y); /* warm up: plans, arenas */
    for (int i = 0; i < runs; i++) {
        double t0 = bench_now();
        if (drift_audio_denoise_buffer(d, x, n, 1, rate, y) != DRIFT_OK)
            fprintf(stderr, "bench_denoise: %s\n", drift_last_error());
        t[i] = bench_now() - t0;
    }
    bench_sort(t, (size_t)runs);
    free(y);
    drift_audio_denoiser_free(d);
    return t[runs / 2];
}

int main(int argc, char **argv)
{
    const char *model_path = NULL;
    int rate = 16000, runs = 5;
    double seconds = 10;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rate") && i + 1 < argc)
            rate = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else
            model_path = argv[i];
    }
    if (rate < 8000 || seconds <= 0 || runs < 1 || runs > 32) {
        fprintf(stderr, "usage: bench_denoise [MODEL] [--rate HZ] [--seconds S] [--runs 1..32]\n");
        return 2;
    }
    drift_set_threads(2);
    size_t n = (size_t)(seconds * rate);
    float *x = malloc(n * sizeof(float));
    test_signal(x, n, rate);
    printf("drift denoise, %.1f s of mono audio at %d Hz, 2 threads, median of %d runs\n", seconds, rate, runs);
    printf("%-36s %9s %8s\n", "method", "seconds", "RTF");
    if (model_path) {
        drift_model *m;
        if (drift_model_load(model_path, &m) != DRIFT_OK) {
            fprintf(stderr, "bench_denoise: %s\n", drift_last_error());
            return 1;
        }
        double t = time_method(m, DRIFT_DENOISE_DIFFUSION, x, n, rate, runs);
        drift_denoise_options o;
        drift_denoise_options_default(&o);
        char label[64];
        snprintf(label, sizeof label, "diffusion (default: %d step%s, %d draw%s)", o.steps, o.steps > 1 ? "s" : "",
                 o.draws, o.draws > 1 ? "s" : "");
        printf("%-36s %9.3f %8.3f\n", label, t, t / seconds);
        drift_model_free(m);
    }
    double t = time_method(NULL, DRIFT_DENOISE_SPECTRAL, x, n, rate, runs);
    printf("%-36s %9.3f %8.3f\n", "spectral (Wiener)", t, t / seconds);
    free(x);
    return 0;
}
