/* denoise_eval.c: the helper of scripts/eval_denoise.sh: builds evaluation
 * mixtures and scores denoised files.
 *   denoise_eval mix CLEAN KIND SNR_DB SEED NOISY NOISE
 *       CLEAN (mono) + noise KIND at SNR_DB over the whole clip; writes the
 *       mixture and the scaled noise alone (32-bit float WAV)
 *   denoise_eval score CLEAN EST NOISY
 *       prints "si_sdr_in si_sdr_out lsd_in lsd_out" (dB) of NOISY and EST
 *       against CLEAN (EST trimmed or zero-padded to CLEAN's length)
 *   denoise_eval window-wiener NOISY OUT
 *       NOISY (mono, at the default model rate) through the diffusion
 *       method's windows with the Wiener gain of its features as the mask
 *       (what a model whose residual is 0 would give)
 *   denoise_eval score-list < LINES
 *       the same for each input line "LABEL CLEAN EST NOISY", printed as
 *       "LABEL si_sdr_in si_sdr_out lsd_in lsd_out" (one process: FFT plans
 *       are made once) */
#include "audio/denoise.h"
#include "audio/drift_audio.h"
#include "audio/noise.h"
#include "audio/pairs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what)
{
    fprintf(stderr, "denoise_eval: %s: %s\n", what, drift_last_error());
    return 1;
}

static int mix(char **argv)
{
    drift_audio clean, noisy, noise;
    drift_noise_kind kind;
    if (drift_audio_read(argv[0], &clean) != DRIFT_OK || clean.channels != 1)
        return fail(argv[0]);
    if (drift_noise_parse(argv[1], &kind) != DRIFT_OK)
        return fail(argv[1]);
    double snr = atof(argv[2]);
    drift_rng rng;
    drift_rng_init(&rng, strtoull(argv[3], NULL, 10), 77);
    if (drift_audio_alloc(&noisy, clean.frames, 1, clean.rate) != DRIFT_OK ||
        drift_audio_alloc(&noise, clean.frames, 1, clean.rate) != DRIFT_OK)
        return fail("alloc");
    if (drift_noise_generate(kind, clean.rate, clean.frames, &rng, NULL, noise.data) != DRIFT_OK)
        return fail("noise");
    drift_mix_at_snr(clean.data, noise.data, clean.frames, snr, noisy.data);
    for (size_t i = 0; i < clean.frames; i++)
        noise.data[i] = noisy.data[i] - clean.data[i];
    if (drift_audio_write(argv[4], &noisy, DRIFT_AUDIO_WAV_FLOAT) != DRIFT_OK ||
        drift_audio_write(argv[5], &noise, DRIFT_AUDIO_WAV_FLOAT) != DRIFT_OK)
        return fail("write");
    drift_audio_free(&clean);
    drift_audio_free(&noisy);
    drift_audio_free(&noise);
    return 0;
}

/* x resized to n frames of its first channel. */
static float *first_channel(const drift_audio *a, size_t n)
{
    float *x = calloc(n + 1, sizeof(float));
    for (size_t i = 0; x && i < n && i < a->frames; i++)
        x[i] = a->data[i * a->channels];
    return x;
}

static int score(char **argv, const char *label)
{
    drift_audio a[3];
    for (int i = 0; i < 3; i++)
        if (drift_audio_read(argv[i], &a[i]) != DRIFT_OK)
            return fail(argv[i]);
    size_t n = a[0].frames;
    float *ref = first_channel(&a[0], n), *est = first_channel(&a[1], n), *noisy = first_channel(&a[2], n);
    double lsd_in, lsd_out;
    if (drift_log_spectral_distance(ref, noisy, n, a[0].rate, &lsd_in) != DRIFT_OK ||
        drift_log_spectral_distance(ref, est, n, a[0].rate, &lsd_out) != DRIFT_OK)
        return fail("lsd");
    printf("%s%s%.3f %.3f %.3f %.3f\n", label ? label : "", label ? " " : "", drift_si_sdr(ref, noisy, n), drift_si_sdr(ref, est, n), lsd_in, lsd_out);
    free(ref);
    free(est);
    free(noisy);
    for (int i = 0; i < 3; i++)
        drift_audio_free(&a[i]);
    return 0;
}

/* The Wiener gain rows of the features as the mask. */
static drift_status wiener_mask(void *user, int count, int64_t first, const float *cond, float *mask)
{
    const drift_denoise_params *p = user;
    size_t dim = (size_t)p->bins * p->frames;
    memset(mask, 0, (size_t)count * dim * sizeof(float));
    drift_denoise_mask_from_output(p, count, cond, mask);
    return DRIFT_OK;
}

static int window_wiener(char **argv)
{
    drift_denoise_params p = drift_denoise_params_default();
    drift_audio a;
    drift_stft *st;
    if (drift_audio_read(argv[0], &a) != DRIFT_OK || a.channels != 1 || a.rate != p.sample_rate)
        return fail(argv[0]);
    if (drift_denoise_stft(&p, &st) != DRIFT_OK)
        return fail("stft");
    float *y = malloc(a.frames * sizeof(float));
    if (!y || drift_denoise_mono(&p, st, wiener_mask, &p, 0, 0, a.data, a.frames, y) != DRIFT_OK)
        return fail("window-wiener");
    memcpy(a.data, y, a.frames * sizeof(float));
    if (drift_audio_write(argv[1], &a, DRIFT_AUDIO_WAV_FLOAT) != DRIFT_OK)
        return fail(argv[1]);
    free(y);
    drift_stft_free(st);
    drift_audio_free(&a);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "window-wiener") == 0)
        return window_wiener(argv + 2);
    if (argc == 8 && strcmp(argv[1], "mix") == 0)
        return mix(argv + 2);
    if (argc == 5 && strcmp(argv[1], "score") == 0)
        return score(argv + 2, NULL);
    if (argc == 2 && strcmp(argv[1], "score-list") == 0) {
        char line[8192], label[256], paths[3][2048];
        while (fgets(line, sizeof line, stdin)) {
            char *args[3] = {paths[0], paths[1], paths[2]};
            if (sscanf(line, "%255s %2047s %2047s %2047s", label, paths[0], paths[1], paths[2]) != 4)
                continue;
            if (score(args, label) != 0)
                return 1;
        }
        return 0;
    }
    fprintf(stderr, "usage: denoise_eval mix CLEAN KIND SNR_DB SEED NOISY NOISE\n"
                    "       denoise_eval score CLEAN EST NOISY\n"
                    "       denoise_eval window-wiener NOISY OUT\n"
                    "       denoise_eval score-list < \"LABEL CLEAN EST NOISY\" lines\n");
    return 2;
}
