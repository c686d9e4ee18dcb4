/* bench_audio.c: drift's STFT + iSTFT and 32-iteration fast Griffin-Lim on
 * 10 s of 22.05 kHz mono (n_fft 1024, hop 256, Hann) against torchaudio
 * (bench_audio.py, run in the same invocation). Medians of >= 5 runs.
 *   bench_audio [RUNS] [THREADS]     (defaults 7, 2) */
#include "bench_clock.h"
#include "drift_audio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef BENCH_DIR
#define BENCH_DIR "."
#endif

enum { RATE = 22050, N = 10 * RATE, N_FFT = 1024, HOP = 256 };

typedef struct bench_ctx {
    drift_stft *p;
    float *x, *y, *spec, *mag;
    size_t frames;
} bench_ctx;

static void run_stft_istft(bench_ctx *c)
{
    if (drift_stft_forward(c->p, c->x, N, c->spec) || drift_stft_inverse(c->p, c->spec, c->frames, c->y, N))
        fprintf(stderr, "bench_audio: %s\n", drift_last_error());
}

static void run_griffinlim(bench_ctx *c)
{
    drift_griffinlim_options o = {.n_iter = 32, .momentum = 0.99f};
    if (drift_griffinlim(c->p, c->mag, c->frames, &o, c->y, NULL))
        fprintf(stderr, "bench_audio: %s\n", drift_last_error());
}

static double median_ms(void (*fn)(bench_ctx *), bench_ctx *c, int runs)
{
    double t[64];
    fn(c);
    for (int i = 0; i < runs; i++) {
        double t0 = 1e3 * bench_now();
        fn(c);
        t[i] = 1e3 * bench_now() - t0;
    }
    bench_sort(t, (size_t)runs);
    return t[runs / 2];
}

/* Medians from bench_audio.py, by name. */
static void run_peer(int runs, double *stft_ms, double *gl_ms)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench_audio.py %d", BENCH_DIR, runs);
    FILE *f = popen(cmd, "r");
    char name[64];
    double v;
    *stft_ms = *gl_ms = NAN;
    while (f && fscanf(f, "%63s %lf", name, &v) == 2) {
        if (!strcmp(name, "stft_istft"))
            *stft_ms = v;
        else if (!strcmp(name, "griffinlim32"))
            *gl_ms = v;
    }
    if (!f || pclose(f) != 0)
        fprintf(stderr, "bench_audio: torchaudio peer failed (%s)\n", cmd);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 7, threads = argc > 2 ? atoi(argv[2]) : 2;
    if (runs < 5 || runs > 63)
        runs = 7;
    drift_set_threads(threads);
    drift_stft_config cfg = {.n_fft = N_FFT, .hop = HOP, .window = DRIFT_WINDOW_HANN, .center = true};
    bench_ctx c = {0};
    if (drift_stft_create(&c.p, &cfg)) {
        fprintf(stderr, "bench_audio: %s\n", drift_last_error());
        return 1;
    }
    c.frames = drift_stft_frames(c.p, N);
    c.x = malloc(N * sizeof *c.x);
    c.y = malloc(N * sizeof *c.y);
    c.spec = malloc(c.frames * (N_FFT / 2 + 1) * 2 * sizeof *c.spec);
    c.mag = malloc(c.frames * (N_FFT / 2 + 1) * sizeof *c.mag);
    drift_rng r;
    drift_rng_init(&r, 0, 0);
    drift_rng_normal(&r, c.x, N);
    for (int i = 0; i < N; i++)
        c.x[i] = (float)(0.3 * sin(2 * M_PI * 440.0 * i / RATE)) + 0.05f * c.x[i];
    drift_stft_magnitude(c.p, c.x, N, 1.0f, c.mag);

    double d_stft = median_ms(run_stft_istft, &c, runs);
    double d_gl = median_ms(run_griffinlim, &c, runs > 5 ? runs / 2 + 2 : 5);
    double t_stft, t_gl;
    run_peer(runs, &t_stft, &t_gl);
    printf("10 s of 22.05 kHz mono, n_fft %d, hop %d, Hann; drift %d threads, torch 2 threads; medians\n\n", N_FFT,
           HOP, threads);
    printf("| task | drift (ms) | torchaudio (ms) | drift speed-up |\n|---|---:|---:|---:|\n");
    printf("| STFT + iSTFT | %.2f | %.2f | %.1fx |\n", d_stft, t_stft, t_stft / d_stft);
    printf("| fast Griffin-Lim, 32 iterations | %.1f | %.1f | %.1fx |\n", d_gl, t_gl, t_gl / d_gl);
    drift_stft_free(c.p);
    free(c.x), free(c.y), free(c.spec), free(c.mag);
    return 0;
}
