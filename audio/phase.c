/* phase.c: Griffin-Lim phase recovery (see phase.h). */
#include "phase.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

drift_griffinlim_options drift_griffinlim_defaults(void)
{
    return (drift_griffinlim_options){.n_iter = 32, .momentum = 0.99f};
}

/* z / (|z| + 1e-16) for each complex value in place: (count, 2). */
static void normalise_phases(float *z, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        float re = z[2 * i], im = z[2 * i + 1];
        float mag = sqrtf(re * re + im * im) + 1e-16f;
        z[2 * i] = re / mag;
        z[2 * i + 1] = im / mag;
    }
}

static void initial_phases(const drift_griffinlim_options *o, size_t count, float *angles)
{
    if (o->init_spec) {
        memcpy(angles, o->init_spec, count * 2 * sizeof *angles);
        normalise_phases(angles, count);
    } else if (o->random_init) {
        drift_rng r;
        drift_rng_init(&r, o->seed, 0);
        drift_rng_uniform_fill(&r, angles, count); /* angles[0..count): u */
        for (size_t i = count; i-- > 0;) {
            double a = 2.0 * M_PI * angles[i];
            angles[2 * i] = (float)cos(a);
            angles[2 * i + 1] = (float)sin(a);
        }
    } else {
        for (size_t i = 0; i < count; i++) {
            angles[2 * i] = 1.0f;
            angles[2 * i + 1] = 0.0f;
        }
    }
}

static drift_status check_options(const drift_stft *p, size_t frames, const drift_griffinlim_options *o,
                                  size_t length)
{
    if (o->n_iter < 0 || !(o->momentum >= 0 && o->momentum < 1))
        return drift_fail(DRIFT_ERR_ARG, "Griffin-Lim needs n_iter >= 0 and momentum in [0, 1), got %d, %g",
                          o->n_iter, (double)o->momentum);
    if (frames == 0 || drift_stft_frames(p, length) != frames)
        return drift_fail(DRIFT_ERR_ARG, "Griffin-Lim: an output of %zu samples has %zu frames, not the "
                          "spectrogram's %zu", length, drift_stft_frames(p, length), frames);
    return DRIFT_OK;
}

typedef struct update_job {
    const float *mag;
    float *angles; /* in: rebuilt spectrum; out: new unit phases */
    float *prev;   /* previous rebuilt spectrum */
    float *spec;   /* out: mag * new phases */
    float beta;
    size_t bins;
} update_job;

/* One pass per frame range: the momentum step, the phase normalisation and
 * the magnitude product of the next inversion. */
static void update_range(void *ctx, size_t begin, size_t end)
{
    update_job *u = ctx;
    for (size_t i = begin * u->bins; i < end * u->bins; i++) {
        float re = u->angles[2 * i], im = u->angles[2 * i + 1];
        float are = re - u->beta * u->prev[2 * i], aim = im - u->beta * u->prev[2 * i + 1];
        u->prev[2 * i] = re;
        u->prev[2 * i + 1] = im;
        float inv = 1.0f / (sqrtf(are * are + aim * aim) + 1e-16f);
        are *= inv;
        aim *= inv;
        u->angles[2 * i] = are;
        u->angles[2 * i + 1] = aim;
        u->spec[2 * i] = u->mag[i] * are;
        u->spec[2 * i + 1] = u->mag[i] * aim;
    }
}

drift_status drift_griffinlim(const drift_stft *p, const float *mag, size_t frames,
                              const drift_griffinlim_options *opt, float *y, double *spectral_convergence)
{
    size_t length = opt->length ? opt->length : drift_istft_default_length(p, frames);
    drift_status s = check_options(p, frames, opt, length);
    if (s)
        return s;
    size_t count = frames * (size_t)drift_stft_bins(p);
    float *angles = malloc(count * 2 * sizeof *angles), *spec = malloc(count * 2 * sizeof *spec);
    float *prev = calloc(count * 2, sizeof *prev);
    if (!angles || !spec || !prev) {
        free(angles), free(spec), free(prev);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for Griffin-Lim on %zu frames", frames);
    }
    initial_phases(opt, count, angles);
    for (size_t i = 0; i < count; i++) {
        spec[2 * i] = mag[i] * angles[2 * i];
        spec[2 * i + 1] = mag[i] * angles[2 * i + 1];
    }
    update_job u = {mag, angles, prev, spec, opt->momentum / (1.0f + opt->momentum), (size_t)drift_stft_bins(p)};
    for (int it = 0; it < opt->n_iter && !s; it++) {
        s = drift_stft_inverse(p, spec, frames, y, length);
        if (!s)
            s = drift_stft_forward(p, y, length, angles); /* angles := rebuilt */
        if (!s)
            drift_parallel_for(frames, 16, update_range, &u);
    }
    if (!s)
        s = drift_stft_inverse(p, spec, frames, y, length);
    free(angles), free(spec), free(prev);
    if (!s && spectral_convergence)
        s = drift_spectral_convergence(p, mag, frames, y, length, spectral_convergence);
    return s;
}

drift_status drift_spectral_convergence(const drift_stft *p, const float *mag, size_t frames, const float *y,
                                        size_t n, double *out)
{
    if (drift_stft_frames(p, n) != frames)
        return drift_fail(DRIFT_ERR_ARG, "spectral convergence: %zu samples give %zu frames, not %zu", n,
                          drift_stft_frames(p, n), frames);
    size_t count = frames * (size_t)drift_stft_bins(p);
    float *rebuilt = malloc(count * sizeof *rebuilt);
    if (!rebuilt)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a spectrogram of %zu frames", frames);
    drift_status s = drift_stft_magnitude(p, y, n, 1.0f, rebuilt);
    if (!s) {
        double num = 0, den = 0;
        for (size_t i = 0; i < count; i++) {
            double d = (double)mag[i] - rebuilt[i];
            num += d * d;
            den += (double)mag[i] * mag[i];
        }
        *out = den > 0 ? sqrt(num / den) : sqrt(num);
    }
    free(rebuilt);
    return s;
}
