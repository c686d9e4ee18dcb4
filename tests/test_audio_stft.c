/* test_audio_stft.c: STFT and inverse STFT against torch.stft/istft golden
 * data, perfect reconstruction, thread-count independence, bad input. */
#include "drift_audio.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static drift_stft *plan_from(const golden_tensor *cfg, bool center)
{
    drift_stft_config c = {.n_fft = (int)cfg->data[0], .hop = (int)cfg->data[1], .win_length = (int)cfg->data[2],
                           .window = (drift_window_kind)(int)cfg->data[3], .center = center};
    drift_stft *p = NULL;
    drift_status s = drift_stft_create(&p, &c);
    CHECK(s == DRIFT_OK, "stft_create: %s", drift_last_error());
    return p;
}

static void test_forward_golden(const golden_file *g)
{
    const golden_tensor *x = golden_get(g, "x");
    const char *cases[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "cfg_%s", cases[i]);
        const golden_tensor *cfg = golden_get(g, name);
        snprintf(name, sizeof name, "stft_%s", cases[i]);
        const golden_tensor *want = golden_get(g, name);
        if (!x || !cfg || !want)
            continue;
        drift_stft *p = plan_from(cfg, cfg->data[4] != 0);
        if (!p)
            continue;
        size_t frames = drift_stft_frames(p, x->n);
        CHECK(frames == (size_t)want->dims[0] && drift_stft_bins(p) == want->dims[1], "%s: %zu frames x %d bins, "
              "torch %d x %d", name, frames, drift_stft_bins(p), want->dims[0], want->dims[1]);
        float *spec = malloc(frames * drift_stft_bins(p) * 2 * sizeof *spec);
        CHECK(drift_stft_forward(p, x->data, x->n, spec) == DRIFT_OK, "%s: %s", name, drift_last_error());
        if (frames == (size_t)want->dims[0]) {
            double e = rel_error(spec, want->data, want->n, 1e-3);
            CHECK(e < 2e-6, "%s: relative error %g vs torch.stft", name, e);
        }
        /* Magnitude and power agree with the complex values. */
        float *mag = malloc(frames * drift_stft_bins(p) * sizeof *mag);
        CHECK(drift_stft_magnitude(p, x->data, x->n, 2.0f, mag) == DRIFT_OK, "power spectrum");
        double worst = 0;
        for (size_t k = 0; k < frames * (size_t)drift_stft_bins(p); k++) {
            double pw = (double)spec[2 * k] * spec[2 * k] + (double)spec[2 * k + 1] * spec[2 * k + 1];
            worst = fmax(worst, fabs(pw - mag[k]) / (1 + pw));
        }
        CHECK(worst < 1e-5, "%s: power spectrum differs from |X|^2 by %g", name, worst);
        free(mag);
        free(spec);
        drift_stft_free(p);
    }
}

static void test_inverse_golden(const golden_file *g)
{
    const char *cases[] = {"a", "a_long", "a_short", "b"};
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "icfg_%s", cases[i]);
        const golden_tensor *cfg = golden_get(g, name);
        snprintf(name, sizeof name, "ispec_%s", cases[i]);
        const golden_tensor *spec = golden_get(g, name);
        snprintf(name, sizeof name, "istft_%s", cases[i]);
        const golden_tensor *want = golden_get(g, name);
        if (!cfg || !spec || !want)
            continue;
        drift_stft *p = plan_from(cfg, true);
        if (!p)
            continue;
        size_t length = (size_t)cfg->data[4];
        size_t expect = length ? length : drift_istft_default_length(p, (size_t)spec->dims[0]);
        CHECK(expect == want->n, "%s: length %zu, torch %zu", name, expect, want->n);
        float *y = malloc((expect + 1) * sizeof *y);
        CHECK(drift_stft_inverse(p, spec->data, (size_t)spec->dims[0], y, length) == DRIFT_OK, "%s: %s", name,
              drift_last_error());
        if (expect == want->n) {
            double e = rel_error(y, want->data, want->n, 1e-3);
            CHECK(e < 2e-6, "%s: relative error %g vs torch.istft", name, e);
        }
        free(y);
        drift_stft_free(p);
    }
}

/* x -> STFT -> iSTFT gives x back; the result does not depend on the
 * number of threads. */
static void check_roundtrip(int n_fft, int hop, int win, drift_window_kind kind, size_t n)
{
    drift_stft_config c = {.n_fft = n_fft, .hop = hop, .win_length = win, .window = kind, .center = true};
    drift_stft *p;
    if (drift_stft_create(&p, &c) != DRIFT_OK) {
        CHECK(0, "create: %s", drift_last_error());
        return;
    }
    float *x = malloc(n * sizeof *x), *y = calloc(n, sizeof *y), *y1 = calloc(n, sizeof *y1);
    drift_rng r;
    drift_rng_init(&r, 99, (uint64_t)n_fft);
    drift_rng_normal(&r, x, n);
    size_t frames = drift_stft_frames(p, n);
    float *spec = malloc(frames * drift_stft_bins(p) * 2 * sizeof *spec);
    drift_set_threads(2);
    drift_status s = drift_stft_forward(p, x, n, spec);
    if (!s)
        s = drift_stft_inverse(p, spec, frames, y, n);
    CHECK(s == DRIFT_OK, "roundtrip n_fft %d hop %d: %s", n_fft, hop, drift_last_error());
    double e = max_abs_diff(y, x, n);
    CHECK(e < 1e-5, "iSTFT(STFT(x)) n_fft %d hop %d win %d %s: max error %g", n_fft, hop, win,
          drift_window_name(kind), e);
    drift_set_threads(1);
    float *spec1 = malloc(frames * drift_stft_bins(p) * 2 * sizeof *spec1);
    drift_stft_forward(p, x, n, spec1);
    drift_stft_inverse(p, spec1, frames, y1, n);
    CHECK(!memcmp(spec, spec1, frames * drift_stft_bins(p) * 2 * sizeof *spec) && !memcmp(y, y1, n * sizeof *y),
          "results differ between 1 and 2 threads (n_fft %d)", n_fft);
    drift_set_threads(0);
    free(x), free(y), free(y1), free(spec), free(spec1);
    drift_stft_free(p);
}

static void test_bad_input(void)
{
    drift_stft *p = NULL;
    drift_stft_config c = {.n_fft = 64, .hop = 0};
    CHECK(drift_stft_create(&p, &c) == DRIFT_ERR_ARG && strstr(drift_last_error(), "hop"), "hop 0: %s",
          drift_last_error());
    c = (drift_stft_config){.n_fft = 64, .hop = 16, .win_length = 65};
    CHECK(drift_stft_create(&p, &c) == DRIFT_ERR_ARG, "win_length > n_fft accepted");
    c = (drift_stft_config){.n_fft = 64, .hop = 16, .center = true};
    CHECK(drift_stft_create(&p, &c) == DRIFT_OK, "create: %s", drift_last_error());
    float x[40] = {0}, spec[2 * 33 * 8];
    CHECK(drift_stft_forward(p, x, 32, spec) == DRIFT_ERR_ARG && strstr(drift_last_error(), "32 samples"),
          "too short for reflect padding: %s", drift_last_error());
    drift_stft_free(p);
    /* Hann frames without centring: the window sum is zero at sample 0. */
    c = (drift_stft_config){.n_fft = 64, .hop = 16, .center = false};
    drift_stft_create(&p, &c);
    float y[200];
    memset(spec, 0, sizeof spec);
    CHECK(drift_stft_inverse(p, spec, 4, y, 0) == DRIFT_ERR_NUMERIC && strstr(drift_last_error(), "zero"),
          "zero window envelope: %s", drift_last_error());
    drift_stft_free(p);
    drift_window_kind k;
    CHECK(drift_window_parse("hamming", &k) == DRIFT_OK && k == DRIFT_WINDOW_HAMMING, "parse hamming");
    CHECK(drift_window_parse("kaiser", &k) == DRIFT_ERR_ARG && strstr(drift_last_error(), "kaiser"), "kaiser");
}

int main(void)
{
    golden_file g;
    if (golden_load(&g, test_path("golden/audio_stft.bin"))) {
        test_forward_golden(&g);
        test_inverse_golden(&g);
        golden_free(&g);
    }
    size_t n = getenv("DRIFT_TEST_LIGHT") ? 6000 : 48000;
    check_roundtrip(1024, 256, 1024, DRIFT_WINDOW_HANN, n);
    check_roundtrip(1024, 512, 1024, DRIFT_WINDOW_HANN, n);
    check_roundtrip(512, 128, 400, DRIFT_WINDOW_HAMMING, n);
    check_roundtrip(63, 21, 63, DRIFT_WINDOW_HANN, 3001);
    check_roundtrip(64, 64, 64, DRIFT_WINDOW_RECT, 3008);
    test_bad_input();
    return test_finish("test_audio_stft");
}
