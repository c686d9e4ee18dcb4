/* texture.c: drift's spectral "diffusion texture" effect (see texture.h). */
#include "texture.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "uris.h"

#define N DRIFT_TEXTURE_N
#define HOP DRIFT_TEXTURE_HOP
#define BINS (N / 2 + 1)
#define SMEAR_HALF 8 /* smear: moving average over 2 * 8 + 1 bins */
#define NOISE_HALF 4 /* noise smoothing over 2 * 4 + 1 bins */
#define NOISE_POLE 0.9f
#define OLA_GAIN 1.5f /* sum of the squared periodic Hann window at 75% overlap */

enum { T_IN, T_OUT, T_AMOUNT, T_SMEAR, T_SEED, T_LATENCY };

typedef struct texture {
    const float *in;
    float *out;
    const float *amount, *smear, *seed;
    float *latency;
    float window[N];
    float fifo_in[N]; /* the last N inputs; the newest HOP are being filled */
    float fifo_out[HOP];
    float acc[N];     /* overlap-add accumulator */
    int count;        /* samples into the current hop */
    uint64_t frame;   /* frames since activation (the noise counter) */
    float mag[BINS], blur[BINS + 1], noise[BINS], walk[BINS];
    float *frame_buf; /* FFTW buffers and plans */
    fftwf_complex *spec;
    fftwf_plan r2c, c2r;
} texture;

/* Moving average of x (n) over +-half into out (n), with a prefix sum in
 * scratch (n + 1); the window shrinks at the ends. */
static void moving_average(const float *x, int n, int half, float *scratch, float *out)
{
    scratch[0] = 0;
    for (int k = 0; k < n; k++)
        scratch[k + 1] = scratch[k] + x[k];
    for (int k = 0; k < n; k++) {
        int lo = k - half < 0 ? 0 : k - half, hi = k + half + 1 > n ? n : k + half + 1;
        out[k] = (scratch[hi] - scratch[lo]) / (float)(hi - lo);
    }
}

/* The log-gain walk of this frame: noise smoothed in frequency, then time. */
static void advance_walk(texture *t, uint32_t seed)
{
    drift_rng r;
    drift_rng_init(&r, seed, t->frame);
    drift_rng_normal(&r, t->noise, BINS);
    moving_average(t->noise, BINS, NOISE_HALF, t->blur, t->noise);
    /* Unit variance: averaging 2h+1 values divides it by 2h+1; the
     * one-pole's steady state multiplies it by (1-a)/(1+a). */
    const float a = NOISE_POLE;
    const float scale = sqrtf((2.0f * NOISE_HALF + 1.0f) * (1.0f + a) / (1.0f - a));
    for (int k = 0; k < BINS; k++) {
        float z = t->noise[k] * scale;
        /* the first frame starts the walk at its steady-state spread */
        t->walk[k] = t->frame == 0 ? z * sqrtf((1.0f - a) / (1.0f + a)) : a * t->walk[k] + (1.0f - a) * z;
    }
}

/* mag: (BINS) -> the new magnitudes, in place. */
static void shape_magnitudes(texture *t, float amount, float smear)
{
    if (smear > 0) {
        moving_average(t->mag, BINS, SMEAR_HALF, t->blur, t->noise);
        for (int k = 0; k < BINS; k++)
            t->mag[k] = (1.0f - smear) * t->mag[k] + smear * t->noise[k];
    }
    /* exp(a z - a^2) keeps the expected power: E[exp(2 a z)] = exp(2 a^2). */
    float a = 1.5f * amount;
    if (a > 0)
        for (int k = 0; k < BINS; k++)
            t->mag[k] *= expf(a * t->walk[k] - a * a);
}

/* One frame: the window over fifo_in, spectral shaping, overlap-add. */
static void process_frame(texture *t)
{
    float amount = t->amount ? fminf(fmaxf(*t->amount, 0), 1) : 0;
    float smear = t->smear ? fminf(fmaxf(*t->smear, 0), 1) : 0;
    uint32_t seed = t->seed ? (uint32_t)lrintf(fmaxf(*t->seed, 0)) : 0;
    advance_walk(t, seed);
    for (int i = 0; i < N; i++)
        t->frame_buf[i] = t->fifo_in[i] * t->window[i];
    fftwf_execute(t->r2c);
    for (int k = 0; k < BINS; k++)
        t->mag[k] = hypotf(t->spec[k][0], t->spec[k][1]);
    float old[BINS];
    memcpy(old, t->mag, sizeof old);
    shape_magnitudes(t, amount, smear);
    for (int k = 0; k < BINS; k++) {
        float g = old[k] > 0 ? t->mag[k] / old[k] : 0; /* keep the input's phase */
        t->spec[k][0] *= g;
        t->spec[k][1] *= g;
    }
    fftwf_execute(t->c2r);
    const float norm = 1.0f / ((float)N * OLA_GAIN);
    for (int i = 0; i < N; i++)
        t->acc[i] += t->frame_buf[i] * t->window[i] * norm;
    memcpy(t->fifo_out, t->acc, sizeof t->fifo_out);
    memmove(t->acc, t->acc + HOP, (N - HOP) * sizeof(float));
    memset(t->acc + N - HOP, 0, HOP * sizeof(float));
    memmove(t->fifo_in, t->fifo_in + HOP, (N - HOP) * sizeof(float));
    t->frame++;
}

static void run(LV2_Handle handle, uint32_t frames)
{
    texture *t = handle;
    for (uint32_t i = 0; i < frames; i++) {
        t->fifo_in[N - HOP + t->count] = t->in[i];
        t->out[i] = t->fifo_out[t->count];
        if (++t->count == HOP) {
            t->count = 0;
            process_frame(t);
        }
    }
    if (t->latency)
        *t->latency = (float)N;
}

static void activate(LV2_Handle handle)
{
    texture *t = handle;
    memset(t->fifo_in, 0, sizeof t->fifo_in);
    memset(t->fifo_out, 0, sizeof t->fifo_out);
    memset(t->acc, 0, sizeof t->acc);
    memset(t->walk, 0, sizeof t->walk);
    t->count = 0;
    t->frame = 0;
}

static void cleanup(LV2_Handle handle)
{
    texture *t = handle;
    if (t->r2c)
        fftwf_destroy_plan(t->r2c);
    if (t->c2r)
        fftwf_destroy_plan(t->c2r);
    fftwf_free(t->frame_buf);
    fftwf_free(t->spec);
    free(t);
}

static LV2_Handle instantiate(const LV2_Descriptor *d, double rate, const char *bundle,
                              const LV2_Feature *const *features)
{
    texture *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    for (int i = 0; i < N; i++)
        t->window[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / N)); /* periodic Hann */
    t->frame_buf = fftwf_alloc_real(N);
    t->spec = fftwf_alloc_complex(BINS);
    if (t->frame_buf && t->spec) {
        /* The planner is not thread-safe by default; other drift code may
         * be planning on a worker thread of the same process. */
        fftwf_make_planner_thread_safe();
        t->r2c = fftwf_plan_dft_r2c_1d(N, t->frame_buf, t->spec, FFTW_ESTIMATE);
        t->c2r = fftwf_plan_dft_c2r_1d(N, t->spec, t->frame_buf, FFTW_ESTIMATE);
    }
    if (!t->r2c || !t->c2r) {
        cleanup(t);
        return NULL;
    }
    activate(t);
    return t;
}

static void connect_port(LV2_Handle handle, uint32_t port, void *data)
{
    texture *t = handle;
    switch (port) {
    case T_IN: t->in = data; break;
    case T_OUT: t->out = data; break;
    case T_AMOUNT: t->amount = data; break;
    case T_SMEAR: t->smear = data; break;
    case T_SEED: t->seed = data; break;
    case T_LATENCY: t->latency = data; break;
    default: break;
    }
}

static const void *extension_data(const char *uri)
{
    return NULL;
}

const LV2_Descriptor drift_texture_descriptor = {
    DRIFT_LV2_TEXTURE_URI, instantiate, connect_port, activate, run, NULL, cleanup, extension_data,
};
