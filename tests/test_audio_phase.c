/* test_audio_phase.c: Griffin-Lim against torchaudio.functional.griffinlim
 * (zero initial phase, with and without momentum), from a given initial
 * phase, and its convergence from random phases. */
#include "drift_audio.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static drift_stft *make_plan(void)
{
    drift_stft_config c = {.n_fft = 128, .hop = 32, .window = DRIFT_WINDOW_HANN, .center = true};
    drift_stft *p = NULL;
    CHECK(drift_stft_create(&p, &c) == DRIFT_OK, "create: %s", drift_last_error());
    return p;
}

static void check_against(const drift_stft *p, const golden_tensor *mag, const golden_tensor *want,
                          const drift_griffinlim_options *o, const char *what)
{
    size_t frames = (size_t)mag->dims[0];
    size_t length = drift_istft_default_length(p, frames);
    CHECK(length == want->n, "%s: length %zu, torchaudio %zu", what, length, want->n);
    float *y = malloc(length * sizeof *y);
    double sc = -1;
    drift_status s = drift_griffinlim(p, mag->data, frames, o, y, &sc);
    CHECK(s == DRIFT_OK, "%s: %s", what, drift_last_error());
    if (!s && length == want->n) {
        double e = rel_error(y, want->data, want->n, 1e-3);
        CHECK(e < 1e-4, "%s: relative error %g vs reference", what, e);
        CHECK(sc >= 0 && sc < 1, "%s: spectral convergence %g", what, sc);
    }
    free(y);
}

static void test_golden(const golden_file *g, const drift_stft *p)
{
    const golden_tensor *mag = golden_get(g, "gl_mag"), *fast = golden_get(g, "gl_fast");
    const golden_tensor *plain = golden_get(g, "gl_plain"), *init = golden_get(g, "gl_init");
    const golden_tensor *init_spec = golden_get(g, "gl_init_spec");
    if (!mag || !fast || !plain || !init || !init_spec)
        return;
    drift_griffinlim_options o = {.n_iter = 8, .momentum = 0.99f};
    check_against(p, mag, fast, &o, "fast Griffin-Lim, zero phase");
    o.momentum = 0;
    check_against(p, mag, plain, &o, "Griffin-Lim, zero phase");
    o = (drift_griffinlim_options){.n_iter = 8, .momentum = 0.99f, .init_spec = init_spec->data};
    check_against(p, mag, init, &o, "fast Griffin-Lim from a noisy phase");
}

/* From random phases, more iterations lower the spectral convergence, and
 * momentum gets lower than plain Griffin-Lim in the same iterations. The
 * same seed gives the same output. */
static void test_convergence(const golden_file *g, const drift_stft *p)
{
    const golden_tensor *mag = golden_get(g, "gl_mag");
    if (!mag)
        return;
    size_t frames = (size_t)mag->dims[0], length = drift_istft_default_length(p, frames);
    float *y = malloc(length * sizeof *y), *y2 = malloc(length * sizeof *y2);
    double sc[4];
    int iters[2] = {4, 64};
    float moms[2] = {0.0f, 0.99f};
    for (int k = 0; k < 4; k++) {
        drift_griffinlim_options o = {.n_iter = iters[k / 2], .momentum = moms[k % 2], .random_init = true, .seed = 5};
        CHECK(drift_griffinlim(p, mag->data, frames, &o, y, &sc[k]) == DRIFT_OK, "GL: %s", drift_last_error());
    }
    printf("spectral convergence: 4 it %.4f (fast %.4f), 64 it %.4f (fast %.4f)\n", sc[0], sc[1], sc[2], sc[3]);
    CHECK(sc[2] < sc[0] && sc[3] < sc[1], "more iterations did not converge further: %g %g %g %g", sc[0], sc[1],
          sc[2], sc[3]);
    CHECK(sc[3] < sc[2], "momentum 0.99 (%g) not better than plain (%g) after 64 iterations", sc[3], sc[2]);
    CHECK(sc[3] < sc[1] / 2, "fast Griffin-Lim: 64 iterations (%g) not twice as close as 4 (%g)", sc[3], sc[1]);
    drift_griffinlim_options o = {.n_iter = 3, .momentum = 0.99f, .random_init = true, .seed = 5};
    drift_griffinlim(p, mag->data, frames, &o, y, NULL);
    drift_set_threads(1);
    drift_griffinlim(p, mag->data, frames, &o, y2, NULL);
    drift_set_threads(0);
    CHECK(!memcmp(y, y2, length * sizeof *y), "same seed, different thread count: different output");
    o.seed = 6;
    drift_griffinlim(p, mag->data, frames, &o, y2, NULL);
    CHECK(memcmp(y, y2, length * sizeof *y) != 0, "different seeds gave the same output");
    o.momentum = 1.0f;
    CHECK(drift_griffinlim(p, mag->data, frames, &o, y, NULL) == DRIFT_ERR_ARG, "momentum 1 accepted");
    o = drift_griffinlim_defaults();
    o.length = length + 100;
    CHECK(drift_griffinlim(p, mag->data, frames, &o, y, NULL) == DRIFT_ERR_ARG && strstr(drift_last_error(), "frames"),
          "length that changes the frame count: %s", drift_last_error());
    free(y), free(y2);
}

int main(void)
{
    golden_file g;
    drift_stft *p = make_plan();
    if (p && golden_load(&g, test_path("golden/audio_gl.bin"))) {
        test_golden(&g, p);
        test_convergence(&g, p);
        golden_free(&g);
    }
    drift_stft_free(p);
    return test_finish("test_audio_phase");
}
