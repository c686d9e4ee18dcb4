/* test_audio_mel.c: mel filterbanks, mel spectrograms and decibels against
 * torchaudio golden data; mel inversion; model normalisation. */
#include "drift_audio.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_filterbanks(const golden_file *g)
{
    const char *cases[] = {"htk_none", "htk_slaney", "slaney_none", "slaney_slaney", "htk_band", "slaney_band"};
    for (int i = 0; i < 6; i++) {
        char name[48];
        snprintf(name, sizeof name, "fbcfg_%s", cases[i]);
        const golden_tensor *cfg = golden_get(g, name);
        snprintf(name, sizeof name, "fb_%s", cases[i]);
        const golden_tensor *want = golden_get(g, name);
        if (!cfg || !want)
            continue;
        const float *c = cfg->data;
        drift_mel_config mc = {.n_freqs = (int)c[0], .f_min = c[1], .f_max = c[2], .n_mels = (int)c[3],
                               .sample_rate = (int)c[4], .norm = c[5] ? DRIFT_MEL_NORM_SLANEY : DRIFT_MEL_NORM_NONE,
                               .scale = c[6] ? DRIFT_MEL_SLANEY : DRIFT_MEL_HTK};
        drift_mel *m;
        if (drift_mel_create(&m, &mc) != DRIFT_OK) {
            CHECK(0, "%s: %s", name, drift_last_error());
            continue;
        }
        CHECK(want->dims[0] == mc.n_mels && want->dims[1] == mc.n_freqs, "%s: golden shape", name);
        double e = rel_error(drift_mel_filterbank(m), want->data, want->n, 1e-6);
        CHECK(e < 1e-5, "%s: relative error %g vs torchaudio melscale_fbanks", name, e);
        drift_mel_free(m);
    }
}

/* The mel spectrogram of golden "mel_x" with torchaudio's MelSpectrogram
 * settings: n_fft 256, hop 64, Hann, centred. */
static float *mel_of(const golden_tensor *x, const drift_mel_config *mc, float power, size_t *frames)
{
    drift_stft_config sc = {.n_fft = 256, .hop = 64, .window = DRIFT_WINDOW_HANN, .center = true};
    drift_stft *p;
    drift_mel *m;
    float *mel = NULL;
    if (drift_stft_create(&p, &sc) != DRIFT_OK || drift_mel_create(&m, mc) != DRIFT_OK) {
        CHECK(0, "create: %s", drift_last_error());
        return NULL;
    }
    *frames = drift_stft_frames(p, x->n);
    mel = malloc(*frames * mc->n_mels * sizeof *mel);
    CHECK(drift_mel_spectrogram(p, m, x->data, x->n, power, mel) == DRIFT_OK, "melspec: %s", drift_last_error());
    drift_stft_free(p);
    drift_mel_free(m);
    return mel;
}

static void test_melspec(const golden_file *g)
{
    const golden_tensor *x = golden_get(g, "mel_x"), *want = golden_get(g, "melspec");
    const golden_tensor *want_db = golden_get(g, "melspec_db"), *want_mag = golden_get(g, "melspec_mag_htk");
    if (!x || !want || !want_db || !want_mag)
        return;
    drift_mel_config mc = {.sample_rate = 16000, .n_freqs = 129, .n_mels = 32, .scale = DRIFT_MEL_SLANEY,
                           .norm = DRIFT_MEL_NORM_SLANEY};
    size_t frames;
    float *mel = mel_of(x, &mc, 2.0f, &frames);
    if (mel && frames == (size_t)want->dims[1]) {
        double e = rel_error(mel, want->data, want->n, 1e-6);
        CHECK(e < 1e-5, "power mel spectrogram: relative error %g vs torchaudio", e);
        drift_amplitude_to_db(mel, want->n, 10.0f, 1e-10f, 1.0f, 80.0f);
        double d = max_abs_diff(mel, want_db->data, want_db->n);
        CHECK(d < 1e-3, "log-mel dB (top_db 80): max difference %g dB vs torchaudio", d);
    } else {
        CHECK(0, "mel frames %zu, torchaudio %d", frames, want->dims[1]);
    }
    free(mel);
    drift_mel_config mh = {.sample_rate = 16000, .n_freqs = 129, .n_mels = 32, .f_min = 100, .f_max = 6000};
    mel = mel_of(x, &mh, 1.0f, &frames);
    if (mel && frames == (size_t)want_mag->dims[1]) {
        double e = rel_error(mel, want_mag->data, want_mag->n, 1e-6);
        CHECK(e < 1e-5, "magnitude HTK mel spectrogram: relative error %g vs torchaudio", e);
    }
    free(mel);
}

static double frobenius_rel(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return sqrt(num / den);
}

/* Inverting a real power spectrogram's mel bands: the recovered spectrum is
 * non-negative and maps back onto the same mel spectrogram. */
static void test_inverse(const golden_file *g)
{
    const golden_tensor *x = golden_get(g, "mel_x");
    if (!x)
        return;
    drift_stft_config sc = {.n_fft = 256, .hop = 64, .window = DRIFT_WINDOW_HANN, .center = true};
    drift_mel_config mc = {.sample_rate = 16000, .n_freqs = 129, .n_mels = 64, .scale = DRIFT_MEL_SLANEY,
                           .norm = DRIFT_MEL_NORM_SLANEY};
    drift_stft *p;
    drift_mel *m;
    if (drift_stft_create(&p, &sc) || drift_mel_create(&m, &mc))
        return;
    size_t frames = drift_stft_frames(p, x->n), ns = frames * 129, nm = frames * 64;
    float *spec = malloc(ns * sizeof *spec), *back = malloc(ns * sizeof *back);
    float *mel = malloc(nm * sizeof *mel), *mel2 = malloc(nm * sizeof *mel2);
    drift_stft_magnitude(p, x->data, x->n, 1.0f, spec);
    drift_mel_apply(m, spec, frames, mel);
    drift_mel_invert(m, mel, frames, 0, back);
    drift_mel_apply(m, back, frames, mel2);
    double e0 = frobenius_rel(mel2, mel, nm);
    CHECK(drift_mel_invert(m, mel, frames, 200, back) == DRIFT_OK, "invert: %s", drift_last_error());
    drift_mel_apply(m, back, frames, mel2);
    double e = frobenius_rel(mel2, mel, nm), es = frobenius_rel(back, spec, ns);
    float lowest = 0;
    for (size_t i = 0; i < ns; i++)
        lowest = fminf(lowest, back[i]);
    CHECK(lowest >= 0, "inverse mel has negative value %g", (double)lowest);
    CHECK(e < 0.02 && e < e0 / 2, "mel of inverted spectrum: relative error %g (start %g)", e, e0);
    printf("mel inversion (64 mels, 129 bins, 200 steps): mel error %.4f (start %.4f), spectrum error %.3f\n", e,
           e0, es);
    CHECK(drift_mel_invert(m, mel, 0, 10, back) == DRIFT_ERR_ARG, "zero frames accepted");
    free(spec), free(back), free(mel), free(mel2);
    drift_stft_free(p);
    drift_mel_free(m);
}

static void test_db_and_norm(void)
{
    float v[4] = {1.0f, 100.0f, 0.0f, 1e-3f};
    drift_amplitude_to_db(v, 4, 10.0f, 1e-10f, 1.0f, 0.0f);
    CHECK(fabsf(v[0]) < 1e-6f && fabsf(v[1] - 20.0f) < 1e-5f && fabsf(v[2] + 100.0f) < 1e-4f &&
          fabsf(v[3] + 30.0f) < 1e-4f, "dB of 1, 100, 0, 1e-3: %g %g %g %g", v[0], v[1], v[2], v[3]);
    drift_db_to_amplitude(v, 2, 10.0f, 1.0f);
    CHECK(fabsf(v[0] - 1.0f) < 1e-6f && fabsf(v[1] - 100.0f) < 1e-3f, "dB back to power: %g %g", v[0], v[1]);
    float m[2] = {1.0f, 0.5f};
    drift_amplitude_to_db(m, 2, 20.0f, 1e-5f, 1.0f, 0.0f);
    CHECK(fabsf(m[1] + 6.0206f) < 1e-3f, "magnitude 0.5 is -6.02 dB, got %g", m[1]);

    drift_spec_norm n = {-80.0f, 0.0f};
    float d[5] = {-100.0f, -80.0f, -40.0f, 0.0f, 12.0f};
    drift_spec_normalize(&n, d, 5);
    CHECK(d[0] == -1.0f && d[1] == -1.0f && fabsf(d[2]) < 1e-6f && d[3] == 1.0f && d[4] == 1.0f,
          "normalise [-80, 0] dB: %g %g %g %g %g", d[0], d[1], d[2], d[3], d[4]);
    drift_spec_denormalize(&n, d, 5);
    CHECK(fabsf(d[2] + 40.0f) < 1e-5f && d[0] == -80.0f && d[4] == 0.0f, "denormalise: %g %g %g", d[0], d[2], d[4]);
    float f[3] = {-70.0f, 3.0f, -10.0f};
    drift_spec_norm fit = drift_spec_norm_fit(f, 3, 80.0f);
    CHECK(fit.hi_db == 3.0f && fit.lo_db == -77.0f, "fit: %g %g", fit.lo_db, fit.hi_db);
    drift_spec_norm bad = {0.0f, 0.0f};
    CHECK(drift_spec_norm_check(&bad) == DRIFT_ERR_ARG, "empty range accepted");
    drift_spec_norm def = drift_spec_norm_default();
    CHECK(drift_spec_norm_check(&def) == DRIFT_OK, "default normalisation invalid");
}

static void test_bad_config(void)
{
    drift_mel *m;
    drift_mel_config mc = {.sample_rate = 16000, .n_freqs = 129, .n_mels = 40, .f_max = 9000};
    CHECK(drift_mel_create(&m, &mc) == DRIFT_ERR_ARG && strstr(drift_last_error(), "9000"), "f_max above Nyquist: %s",
          drift_last_error());
    mc = (drift_mel_config){.sample_rate = 0, .n_freqs = 129, .n_mels = 40};
    CHECK(drift_mel_create(&m, &mc) == DRIFT_ERR_ARG, "0 Hz accepted");
    /* HTK and Slaney scales are each other's inverse. */
    for (double hz = 0; hz < 20000; hz += 97.3)
        for (int s = 0; s < 2; s++) {
            double back = drift_mel_to_hz(drift_hz_to_mel(hz, (drift_mel_scale)s), (drift_mel_scale)s);
            if (fabs(back - hz) > 1e-6 * (1 + hz)) {
                CHECK(0, "scale %d: %g Hz -> %g Hz", s, hz, back);
                return;
            }
        }
    CHECK(fabs(drift_hz_to_mel(1000.0, DRIFT_MEL_HTK) - 999.985) < 1e-2, "HTK mel of 1 kHz");
    CHECK(fabs(drift_hz_to_mel(1000.0, DRIFT_MEL_SLANEY) - 15.0) < 1e-9, "Slaney mel of 1 kHz");
}

int main(void)
{
    golden_file g;
    if (golden_load(&g, test_path("golden/audio_mel.bin"))) {
        test_filterbanks(&g);
        test_melspec(&g);
        test_inverse(&g);
        golden_free(&g);
    }
    test_db_and_norm();
    test_bad_config();
    return test_finish("test_audio_mel");
}
