/* test_denoise.c: the denoising task's parts: noise generators (levels,
 * spectral slopes, hum pitch, determinism), SI-SDR and SNR mixing against
 * closed-form cases, exact reconstruction through the windows and
 * cross-fades, the Wiener baseline's SI-SDR gain on a synthetic mixture,
 * chunked files (any length, stereo, another rate; broken input), task
 * parameters, and the pair data source. */
#include "audio/denoise.h"
#include "audio/noise.h"
#include "audio/pairs.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool light(void)
{
    return getenv("DRIFT_TEST_LIGHT") != NULL;
}

/* Mean power of x: (n) in the band [lo, hi) Hz from an averaged
 * periodogram (n_fft 1024). */
static double band_power(const float *x, size_t n, int rate, double lo, double hi)
{
    drift_stft_config c = {1024, 512, 0, DRIFT_WINDOW_HANN, false};
    drift_stft *st;
    if (drift_stft_create(&st, &c) != DRIFT_OK)
        return NAN;
    size_t frames = drift_stft_frames(st, n);
    float *p = malloc(frames * 513 * sizeof(float));
    drift_stft_magnitude(st, x, n, 2, p);
    double sum = 0;
    int count = 0;
    for (size_t f = 0; f < frames; f++)
        for (int k = 0; k < 513; k++) {
            double hz = (double)k * rate / 1024;
            if (hz >= lo && hz < hi) {
                sum += p[f * 513 + k];
                count++;
            }
        }
    free(p);
    drift_stft_free(st);
    return sum / count;
}

static void test_noises(void)
{
    const int rate = 16000;
    const size_t n = 4 * rate;
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    for (int k = 0; k < DRIFT_NOISE_COUNT; k++) {
        if (k == DRIFT_NOISE_BABBLE)
            continue;
        drift_rng r1, r2;
        drift_rng_init(&r1, 5, 1);
        drift_rng_init(&r2, 5, 1);
        CHECK(drift_noise_generate((drift_noise_kind)k, rate, n, &r1, NULL, x) == DRIFT_OK, "%s: %s",
              drift_noise_name((drift_noise_kind)k), drift_last_error());
        drift_noise_generate((drift_noise_kind)k, rate, n, &r2, NULL, y);
        CHECK(memcmp(x, y, n * sizeof(float)) == 0, "%s is not deterministic", drift_noise_name((drift_noise_kind)k));
        double e = 0;
        for (size_t i = 0; i < n; i++)
            e += x[i] * x[i];
        CHECK(fabs(sqrt(e / n) - 1) < 1e-3, "%s RMS %g", drift_noise_name((drift_noise_kind)k), sqrt(e / n));
    }
    /* Slopes over three octaves: pink -9 dB, brown -18 dB, white 0 dB. */
    const drift_noise_kind kinds[3] = {DRIFT_NOISE_WHITE, DRIFT_NOISE_PINK, DRIFT_NOISE_BROWN};
    const double want[3] = {0, -9, -18};
    for (int i = 0; i < 3; i++) {
        drift_rng r;
        drift_rng_init(&r, 9, 2);
        drift_noise_generate(kinds[i], rate, n, &r, NULL, x);
        double drop = 10 * log10(band_power(x, n, rate, 1600, 3200) / band_power(x, n, rate, 200, 400));
        CHECK(fabs(drop - want[i]) < 1.5, "%s: %.2f dB over 3 octaves, want %.0f", drift_noise_name(kinds[i]), drop,
              want[i]);
    }
    /* Hum: the fundamental band (45..65 Hz) holds more than a 1-octave band above 1 kHz by far. */
    drift_rng r;
    drift_rng_init(&r, 3, 3);
    drift_noise_generate(DRIFT_NOISE_HUM, rate, n, &r, NULL, x);
    CHECK(band_power(x, n, rate, 40, 70) > 1000 * band_power(x, n, rate, 1100, 2200), "hum is not at mains pitch");
    /* Tones: nearly all the power in at most 3 narrow peaks (5 bins each, Hann leakage). */
    drift_noise_generate(DRIFT_NOISE_TONES, rate, n, &r, NULL, x);
    int peaks = 0;
    double total = band_power(x, n, rate, 0, 8000), in_peaks = 0;
    for (double f = 0; f < 8000; f += 15.625) {
        double b = band_power(x, n, rate, f, f + 15.625);
        if (b > 1e-3 * total * 512)
            peaks++, in_peaks += b;
    }
    CHECK(peaks >= 1 && peaks <= 15 && in_peaks > 0.99 * total * 512, "tones: %d peak bins hold %.3f of the power",
          peaks, in_peaks / (total * 512));
    CHECK(drift_noise_generate(DRIFT_NOISE_BABBLE, rate, n, &r, NULL, x) == DRIFT_ERR_ARG, "babble without speech");
    drift_noise_kind kind;
    CHECK(drift_noise_parse("waterfall", &kind) == DRIFT_ERR_ARG && strstr(drift_last_error(), "waterfall"),
          "unknown noise name: %s", drift_last_error());
    CHECK(drift_noise_held_out(DRIFT_NOISE_FAN) && drift_noise_held_out(DRIFT_NOISE_WHINE) &&
              !drift_noise_held_out(DRIFT_NOISE_HUM), "held-out kinds");
    free(x);
    free(y);
}

/* Augmented white noise: unit RMS, its power density below 1 kHz relative
 * to the whole band spread
 * over a wide range (the peaking bands), and its level fluctuating
 * within some draws far beyond white noise's own 10 ms block spread. */
static void test_noise_augment(void)
{
    const int rate = 16000;
    const size_t n = 2 * rate, block = rate / 100;
    float *x = malloc(n * sizeof(float)), *scratch = malloc(n * sizeof(float));
    double share_lo = 1e30, share_hi = 0, spread_max = 0;
    for (int draw = 0; draw < 40; draw++) {
        drift_rng r;
        drift_rng_init(&r, 12, (uint64_t)draw);
        drift_noise_generate(DRIFT_NOISE_WHITE, rate, n, &r, NULL, x);
        drift_noise_augment(rate, n, &r, x, scratch);
        double e = 0, lo = band_power(x, n, rate, 0, 1000), all = band_power(x, n, rate, 0, 8000);
        for (size_t i = 0; i < n; i++)
            e += x[i] * x[i];
        CHECK(fabs(sqrt(e / n) - 1) < 1e-3, "augmented noise %d has RMS %g", draw, sqrt(e / n));
        share_lo = fmin(share_lo, lo / all), share_hi = fmax(share_hi, lo / all);
        double bmin = 1e30, bmax = 0; /* 10 ms block powers */
        for (size_t b = 0; b + block <= n; b += block) {
            double eb = 0;
            for (size_t i = b; i < b + block; i++)
                eb += x[i] * x[i];
            bmin = fmin(bmin, eb), bmax = fmax(bmax, eb);
        }
        spread_max = fmax(spread_max, 10 * log10(bmax / bmin));
    }
    /* white: the same power density below 1 kHz as overall (ratio 1);
     * its blocks of 160 samples vary by ~3 dB */
    CHECK(share_lo < 0.5 && share_hi > 2, "low-band density ratio only %.3f .. %.3f", share_lo, share_hi);
    CHECK(spread_max > 8, "block levels spread at most %.1f dB", spread_max);
    free(x);
    free(scratch);
}

static void test_scores(void)
{
    enum { N = 8000 };
    float ref[N], est[N], noise[N], mixed[N];
    drift_rng r;
    drift_rng_init(&r, 1, 1);
    drift_rng_normal(&r, ref, N);
    drift_rng_normal(&r, noise, N);
    /* Make noise exactly orthogonal to ref and zero-mean, then est = 3 (ref + noise / 10). */
    double mr = 0, mn = 0, dot = 0, rr = 0;
    for (int i = 0; i < N; i++)
        mr += ref[i] / N, mn += noise[i] / N;
    for (int i = 0; i < N; i++)
        ref[i] -= (float)mr, noise[i] -= (float)mn;
    for (int i = 0; i < N; i++)
        dot += ref[i] * noise[i], rr += ref[i] * ref[i];
    double en = 0;
    for (int i = 0; i < N; i++) {
        noise[i] -= (float)(dot / rr * ref[i]);
        en += noise[i] * noise[i];
    }
    for (int i = 0; i < N; i++)
        est[i] = 3 * (ref[i] + noise[i] / 10);
    double want = 10 * log10(rr / (en / 100));
    CHECK(fabs(drift_si_sdr(ref, est, N) - want) < 1e-3, "SI-SDR %g, want %g", drift_si_sdr(ref, est, N), want);
    drift_mix_at_snr(ref, noise, N, 7.5, mixed);
    double e = 0;
    for (int i = 0; i < N; i++)
        e += (mixed[i] - ref[i]) * (mixed[i] - ref[i]);
    CHECK(fabs(10 * log10(rr / e) - 7.5) < 1e-3, "mixture SNR %g, want 7.5", 10 * log10(rr / e));
    double lsd;
    CHECK(drift_log_spectral_distance(ref, ref, N, 16000, &lsd) == DRIFT_OK && lsd < 1e-6, "LSD of equal signals %g",
          lsd);
    for (int i = 0; i < N; i++)
        est[i] = ref[i] * 10; /* +20 dB everywhere */
    drift_log_spectral_distance(ref, est, N, 16000, &lsd);
    CHECK(fabs(lsd - 20) < 0.01, "LSD of a +20 dB copy %g", lsd);
}

static drift_status identity(void *user, int count, int64_t first, const float *noisy, float *mask)
{
    size_t dim = *(size_t *)user;
    for (size_t i = 0; i < (size_t)count * dim; i++)
        mask[i] = 1.0f;
    return DRIFT_OK;
}

static void test_windows_reconstruct(void)
{
    drift_denoise_params p = drift_denoise_params_default();
    drift_stft *st;
    CHECK(drift_denoise_stft(&p, &st) == DRIFT_OK, "stft");
    size_t W = drift_denoise_window_samples(&p), dim = (size_t)p.bins * p.frames;
    const size_t lengths[] = {300, W - 1, W, W + 1, W * 33 / 10, 20 * W + 7};
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        size_t n = lengths[li];
        float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
        drift_rng r;
        drift_rng_init(&r, li, 0);
        drift_rng_normal(&r, x, n);
        /* Band-limit below the top bin the model sees, at -20 dBFS. */
        drift_biquad(DRIFT_BIQUAD_LOWPASS, 6000, 0.707, p.sample_rate, x, n);
        drift_biquad(DRIFT_BIQUAD_LOWPASS, 6000, 0.707, p.sample_rate, x, n);
        drift_noise_unit_rms(x, n);
        for (size_t i = 0; i < n; i++)
            x[i] *= 0.1f;
        CHECK(drift_denoise_mono(&p, st, identity, &dim, 0, 0, x, n, y) == DRIFT_OK, "mono: %s", drift_last_error());
        double err = rel_error(y, x, n, 1e-3);
        CHECK(err < 2e-3, "length %zu: identity windows rebuild with relative error %g", n, err);
        free(x);
        free(y);
    }
    drift_stft_free(st);
}

/* A speech-like test signal: harmonic bursts with vibrato, 0.4 s on and
 * 0.2 s off. */
static void harmonic_bursts(float *x, size_t n, int rate)
{
    double ph = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate, f0 = 150 + 30 * sin(2 * M_PI * 1.3 * t);
        ph += 2 * M_PI * f0 / rate;
        double on = fmod(t, 0.6) < 0.4 ? sin(M_PI * fmod(t, 0.6) / 0.4) : 0, v = 0;
        for (int k = 1; k <= 12; k++)
            v += sin(k * ph) / k;
        x[i] = (float)(0.1 * on * v);
    }
}

static void test_spectral_improves(void)
{
    const int rate = 16000;
    const size_t n = 4 * rate;
    float *clean = malloc(n * sizeof(float)), *noise = malloc(n * sizeof(float));
    float *noisy = malloc(n * sizeof(float)), *out = malloc(n * sizeof(float));
    harmonic_bursts(clean, n, rate);
    const drift_noise_kind kinds[3] = {DRIFT_NOISE_WHITE, DRIFT_NOISE_PINK, DRIFT_NOISE_FAN};
    const double want[3] = {5, 5, 5};
    for (int k = 0; k < 3; k++) {
        drift_rng r;
        drift_rng_init(&r, 21, (uint64_t)k);
        drift_noise_generate(kinds[k], rate, n, &r, NULL, noise);
        drift_mix_at_snr(clean, noise, n, 5, noisy);
        CHECK(drift_denoise_spectral(noisy, n, rate, out) == DRIFT_OK, "spectral: %s", drift_last_error());
        double in = drift_si_sdr(clean, noisy, n), got = drift_si_sdr(clean, out, n);
        printf("spectral, %s at 5 dB: SI-SDR %.2f -> %.2f dB\n", drift_noise_name(kinds[k]), in, got);
        CHECK(got - in > want[k], "%s: the Wiener filter gains %.2f dB SI-SDR, want > %g", drift_noise_name(kinds[k]),
              got - in, want[k]);
    }
    free(clean);
    free(noise);
    free(noisy);
    free(out);
}

/* A stereo 22.05 kHz file longer than two chunks, left channel noisy
 * bursts, right channel silent; spectral denoising keeps its shape, gains
 * SI-SDR on the left and leaves the right silent. A truncated copy fails
 * and writes nothing. */
static void test_file_chunks(void)
{
    const int rate = 22050;
    size_t n = (size_t)(light() ? 10.0 : 19.3) * rate;
    drift_audio a;
    drift_audio_alloc(&a, n, 2, rate);
    float *clean = malloc(n * sizeof(float)), *noise = malloc(n * sizeof(float)), *noisy = malloc(n * sizeof(float));
    harmonic_bursts(clean, n, rate);
    drift_rng r;
    drift_rng_init(&r, 4, 4);
    drift_noise_generate(DRIFT_NOISE_PINK, rate, n, &r, NULL, noise);
    drift_mix_at_snr(clean, noise, n, 5, noisy);
    for (size_t i = 0; i < n; i++)
        a.data[2 * i] = noisy[i];
    CHECK(drift_audio_write(test_tmp("in.wav"), &a, DRIFT_AUDIO_WAV_FLOAT) == DRIFT_OK, "write: %s", drift_last_error());
    drift_denoise_options o;
    drift_denoise_options_default(&o);
    o.method = DRIFT_DENOISE_SPECTRAL;
    drift_audio_denoiser *d;
    CHECK(drift_audio_denoiser_create(NULL, &o, &d) == DRIFT_OK, "create: %s", drift_last_error());
    CHECK(drift_audio_denoise_file(d, test_tmp("in.wav"), test_tmp("out.wav")) == DRIFT_OK, "file: %s", drift_last_error());
    drift_audio b = {0};
    CHECK(drift_audio_read(test_tmp("out.wav"), &b) == DRIFT_OK, "read back: %s", drift_last_error());
    CHECK(b.frames == n && b.channels == 2 && b.rate == rate, "shape %zu x %d at %d", b.frames, b.channels, b.rate);
    if (b.frames == n) {
        double right = 0;
        for (size_t i = 0; i < n; i++) {
            clean[i] = b.data[2 * i] - clean[i] * 0; /* reuse as the left output */
            right = fmax(right, fabs(b.data[2 * i + 1]));
        }
        float *ref = noise;
        harmonic_bursts(ref, n, rate);
        double in = drift_si_sdr(ref, noisy, n), got = drift_si_sdr(ref, clean, n);
        printf("file, 2 chunks+, pink at 5 dB: SI-SDR %.2f -> %.2f dB\n", in, got);
        CHECK(got - in > 5, "file gain %.2f dB", got - in);
        CHECK(right < 1e-4, "silent channel came out at %g", right);
    }
    /* Truncated: the header promises more than the file holds. */
    FILE *f = fopen(test_tmp("in.wav"), "rb"), *g = fopen(test_tmp("cut.wav"), "wb");
    for (long i = 0; i < 200000 && f && g; i++) {
        int c = fgetc(f);
        if (c == EOF)
            break;
        fputc(c, g);
    }
    if (f)
        fclose(f);
    if (g)
        fclose(g);
    CHECK(drift_audio_denoise_file(d, test_tmp("cut.wav"), test_tmp("cut_out.wav")) != DRIFT_OK &&
              strstr(drift_last_error(), "cut.wav"), "truncated input: %s", drift_last_error());
    CHECK(access(test_tmp("cut_out.wav"), F_OK) != 0, "an output was left for a broken input");
    CHECK(drift_audio_denoise_file(d, test_tmp("in.wav"), "/nonexistent-dir/x.wav") != DRIFT_OK, "unwritable output");
    drift_audio_denoiser_free(d);
    drift_audio_free(&a);
    drift_audio_free(&b);
    free(clean);
    free(noise);
    free(noisy);
}

static void test_params(void)
{
    drift_denoise_params p = drift_denoise_params_default(), q;
    char *json = drift_denoise_params_to_json(&p);
    CHECK(json && drift_denoise_params_from_json(json, &q) == DRIFT_OK && memcmp(&p, &q, sizeof p) == 0,
          "params round trip: %s", drift_last_error());
    CHECK(json && !strstr(json, "mask_gain_db"), "no calibration written when there is none: %s", json);
    free(json);
    p.mask_gain_db = 1.5f;
    json = drift_denoise_params_to_json(&p);
    CHECK(json && drift_denoise_params_from_json(json, &q) == DRIFT_OK && q.mask_gain_db == 1.5f,
          "calibration round trip: %s", json);
    free(json);
    const char *bad_gain = "{\"kind\":\"denoise\",\"target\":\"wiener_log_residual\",\"mask_gain_db\":30}";
    CHECK(drift_denoise_params_from_json(bad_gain, &q) == DRIFT_ERR_ARG && strstr(drift_last_error(), "30"),
          "mask gain 30 dB refused: %s", drift_last_error());
    p = drift_denoise_params_default();
    CHECK(drift_denoise_params_from_json("{\"kind\":\"sound\"}", &q) == DRIFT_ERR_ARG &&
              strstr(drift_last_error(), "not a denoising model"), "other task: %s", drift_last_error());
    const char *bad_bins = "{\"kind\":\"denoise\",\"target\":\"wiener_log_residual\",\"bins\":9999}";
    const char *bad_hop = "{\"kind\":\"denoise\",\"target\":\"wiener_log_residual\",\"hop\":\"x\"}";
    CHECK(drift_denoise_params_from_json(bad_bins, &q) == DRIFT_ERR_ARG &&
              strstr(drift_last_error(), "9999"), "bad bins: %s", drift_last_error());
    CHECK(drift_denoise_params_from_json(bad_hop, &q) == DRIFT_ERR_FORMAT, "hop not a number");
    CHECK(drift_denoise_params_from_json("{\"kind\":\"denoise\"}", &q) == DRIFT_ERR_FORMAT &&
              strstr(drift_last_error(), "retrain"), "a model of the older log-gain target: %s", drift_last_error());
    drift_denoise_options o;
    drift_denoise_options_default(&o);
    drift_audio_denoiser *d;
    CHECK(drift_audio_denoiser_create(NULL, &o, &d) == DRIFT_ERR_ARG, "diffusion without a model");
}

static void test_pairs(void)
{
    drift_denoise_params p = drift_denoise_params_default();
    size_t W = drift_denoise_window_samples(&p), len = 3 * W;
    float *clip = malloc(len * sizeof(float));
    harmonic_bursts(clip, len, p.sample_rate);
    float *clips[1] = {clip};
    size_t lengths[1] = {len};
    bool speech[1] = {true};
    drift_clip_set set = {clips, lengths, speech, 1, p.sample_rate};
    drift_pair_options po = {-5, 20, 0, 1.0, 0.5};
    drift_pair_source *ps;
    CHECK(drift_pair_source_create(&set, &p, &po, &ps) == DRIFT_OK, "pairs: %s", drift_last_error());
    CHECK(drift_pair_samples(ps) == (size_t)p.sample_rate, "pairs of %zu samples", drift_pair_samples(ps));
    W = drift_pair_samples(ps);
    float *c1 = malloc(W * sizeof(float)), *n1 = malloc(W * sizeof(float));
    float *c2 = malloc(W * sizeof(float)), *n2 = malloc(W * sizeof(float));
    int seen[DRIFT_NOISE_COUNT] = {0};
    for (int i = 0; i < 60; i++) {
        drift_rng r1, r2;
        drift_rng_init(&r1, 8, (uint64_t)i);
        drift_rng_init(&r2, 8, (uint64_t)i);
        drift_noise_kind kind;
        double snr;
        drift_pair_make(ps, &r1, c1, n1, &kind, &snr);
        drift_pair_make(ps, &r2, c2, n2, NULL, NULL);
        CHECK(memcmp(c1, c2, W * 4) == 0 && memcmp(n1, n2, W * 4) == 0, "pair %d not reproducible", i);
        seen[kind]++;
        double ec = 0, en = 0;
        for (size_t j = 0; j < W; j++)
            ec += c1[j] * c1[j], en += (n1[j] - c1[j]) * (n1[j] - c1[j]);
        CHECK(snr >= -5 && snr <= 20 && fabs(10 * log10(ec / en) - snr) < 0.01, "pair %d SNR %g, asked %g", i,
              10 * log10(ec / en), snr);
    }
    CHECK(!seen[DRIFT_NOISE_FAN] && !seen[DRIFT_NOISE_WHINE], "held-out noise in training pairs");
    CHECK(seen[DRIFT_NOISE_BABBLE] > 0 && seen[DRIFT_NOISE_HUM] > 0 && seen[DRIFT_NOISE_TONES] > 0,
          "babble, hum and tones appear");
    drift_pair_source_free(ps);
    free(clip);
    free(c1), free(n1), free(c2), free(n2);
}

/* Features of a tone in weak noise (Wiener gain near 1 on the tone, low
 * elsewhere), independent of the window's level; targets of half, equal
 * and doubled clean windows, and masks rebuilt from them. */
static void test_targets(void)
{
    drift_denoise_params p = drift_denoise_params_default();
    drift_stft *st;
    CHECK(drift_denoise_stft(&p, &st) == DRIFT_OK, "stft");
    size_t W = drift_denoise_window_samples(&p), dim = (size_t)p.bins * p.frames, F = (size_t)p.frames;
    int nb = p.n_fft / 2 + 1;
    float *noisy = malloc(W * sizeof(float)), *quiet = malloc(W * sizeof(float)), *clean = malloc(W * sizeof(float));
    float *work = malloc((size_t)4 * F * nb * sizeof(float)), *t = malloc(dim * sizeof(float));
    float *f1 = malloc(2 * dim * sizeof(float)), *f2 = malloc(2 * dim * sizeof(float));
    float *pw1 = malloc(nb * sizeof(float)), *pw2 = malloc(nb * sizeof(float));
    drift_rng rng;
    drift_rng_init(&rng, 3, 0);
    drift_rng_normal(&rng, noisy, W);
    for (size_t i = 0; i < W; i++) { /* bin 64 = 2 kHz, 30 dB above the noise per bin */
        noisy[i] = 0.01f * noisy[i] + 0.3f * sinf(2.0f * (float)M_PI * 2000.0f * (float)i / 16000.0f);
        quiet[i] = 0.01f * noisy[i];
    }
    /* The noise alone gives the noise estimate (as a chunk's pauses would). */
    float *noise_only = malloc(W * sizeof(float));
    drift_rng_init(&rng, 3, 1);
    drift_rng_normal(&rng, noise_only, W);
    for (size_t i = 0; i < W; i++)
        noise_only[i] *= 0.01f;
    CHECK(drift_denoise_noise_estimate(&p, st, noise_only, W, pw1) == DRIFT_OK, "noise estimate");
    for (int k = 0; k < nb; k++)
        pw2[k] = 1e-4f * pw1[k];
    CHECK(drift_denoise_features(&p, st, noisy, pw1, f1, NULL) == DRIFT_OK &&
              drift_denoise_features(&p, st, quiet, pw2, f2, NULL) == DRIFT_OK, "features");
    float worst = 0;
    for (size_t i = 0; i < 2 * dim; i++)
        worst = fmaxf(worst, fabsf(f1[i] - f2[i]));
    CHECK(worst < 1e-3f, "features of a window 40 dB quieter differ by %g", worst);
    float g_tone = 0, g_far = 0;
    for (size_t f = 8; f < F; f++) /* after the recursion settles */
        g_tone += 0.5f * (f1[dim + 64 * F + f] + 1) / (float)(F - 8),
            g_far += 0.5f * (f1[dim + 200 * F + f] + 1) / (float)(F - 8);
    CHECK(g_tone > 0.95f && g_far < 0.3f, "Wiener gains: %g on the tone, %g far from it", g_tone, g_far);
    const float ratios[3] = {0.5f, 1.0f, 2.0f};
    for (int r = 0; r < 3; r++) {
        for (size_t i = 0; i < W; i++)
            clean[i] = ratios[r] * noisy[i];
        CHECK(drift_denoise_target(&p, st, clean, noisy, f1, work, t) == DRIFT_OK, "target: %s", drift_last_error());
        drift_denoise_mask_from_output(&p, 1, f1, t);
        float off = 0;
        for (size_t i = 0; i < dim; i++)
            off = fmaxf(off, fabsf(t[i] - fminf(ratios[r], 1.0f)));
        CHECK(off < 1e-4f, "clean = %g noisy: mask rebuilt from the target off by %g", ratios[r], off);
    }
    t[0] = 5.0f, t[1] = -5.0f; /* clamped to +-1: the Wiener gain times 10 (at most 1) or 0.1 */
    drift_denoise_mask_from_output(&p, 1, f1, t);
    float g1 = 0.5f * (f1[dim + 1] + 1.0f);
    CHECK(t[0] == 1.0f && fabsf(t[1] - 0.1f * g1) < 1e-6f, "masks of out-of-range outputs %g %g (gain %g)", t[0],
          t[1], g1);
    free(noisy), free(quiet), free(clean), free(work), free(t), free(f1), free(f2), free(pw1), free(pw2);
    free(noise_only);
    drift_stft_free(st);
}

int main(void)
{
    snprintf(test_tmpdir, sizeof test_tmpdir, "/tmp/drift_test_denoise_XXXXXX");
    if (!mkdtemp(test_tmpdir))
        return 1;
    test_noises();
    test_noise_augment();
    test_scores();
    test_windows_reconstruct();
    test_spectral_improves();
    test_file_chunks();
    test_params();
    test_targets();
    test_pairs();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", test_tmpdir);
    return test_finish("test_denoise");
}
