/* denoise.h: drift's audio denoising task.
 *
 * The representation (STFT windows, the network's conditioning and
 * target) and the classical method are in denoise_features.h.
 *
 * Method "diffusion": each window's residual is sampled (DDIM, `steps`
 * levels, 1 by default) from noise or, with strength < 1, SDEdit-style
 * from a residual of 0 (the Wiener gain) noised to t = strength, always
 * conditioned on the window's features. The masked magnitude gets the
 * noisy phase, optionally refined by a few Griffin-Lim iterations started
 * from it; bins above `bins` take the mask of the top one.
 *
 * Method "spectral": the classical Wiener filter of denoise_features.h,
 * on each chunk.
 *
 * Any length in constant memory: files are read and written in chunks of
 * 8 s that overlap by 0.5 s and are cross-faded (amplitude-complementary
 * raised cosine); inside a chunk, model windows overlap by a quarter and
 * are cross-faded the same way. Each channel is processed on its own; a
 * file at another rate is resampled (soxr) to the model's rate and back
 * chunk by chunk. Output files are written atomically. */
#ifndef DRIFT_AUDIO_DENOISE_H
#define DRIFT_AUDIO_DENOISE_H

#include <stddef.h>
#include <stdint.h>

#include "drift.h"
#include "denoise_features.h"
#include "sndio.h"
#include "stft.h"

/* Masks a batch of windows: cond: (count, 2 bins, frames) features (see
 * drift_denoise_features) -> mask: (count, bins, frames) amplitude gains
 * in [0, 1].
 * first_window numbers the windows for seeding. */
typedef drift_status (*drift_denoise_window_fn)(void *user, int count, int64_t first_window, const float *cond,
                                                float *mask);

/* Runs fn over a mono signal at the params' rate in overlapping windows
 * and cross-fades the rebuilt audio: x: (n) -> y: (n) (may not alias).
 * gl_iters Griffin-Lim iterations refine the noisy phase (0 = none).
 * window_base numbers the first window (seeding). */
drift_status drift_denoise_mono(const drift_denoise_params *p, const drift_stft *stft, drift_denoise_window_fn fn,
                                void *user, int gl_iters, int64_t window_base, const float *x, size_t n, float *y);

typedef enum drift_denoise_method { DRIFT_DENOISE_DIFFUSION, DRIFT_DENOISE_SPECTRAL } drift_denoise_method;
/* "diffusion", "spectral". */
drift_status drift_denoise_method_parse(const char *name, drift_denoise_method *out);

typedef struct drift_denoise_options {
    drift_denoise_method method;
    int steps;        /* sampler levels; default 1 */
    int draws;        /* samples averaged per window (their posterior mean); default 4 */
    double strength;  /* 1 = from noise; < 1 SDEdit from the noisy input */
    uint64_t seed;
    int gl_iters;     /* Griffin-Lim iterations from the noisy phase; 0 */
    double mask_gain_db; /* NAN: the model's calibration (its task JSON); else this, in dB */
    int batch;        /* windows per network call; 0 = 8 */
    /* Progress in input frames. */
    void (*progress)(void *user, size_t done, size_t total);
    void *progress_user;
} drift_denoise_options;

void drift_denoise_options_default(drift_denoise_options *o);

typedef struct drift_audio_denoiser drift_audio_denoiser;

/* model may be NULL for the spectral method; it is borrowed, not owned. */
drift_status drift_audio_denoiser_create(drift_model *model, const drift_denoise_options *o,
                                         drift_audio_denoiser **out);
void drift_audio_denoiser_free(drift_audio_denoiser *d);

/* In memory: x: (frames, channels) interleaved at rate -> y: the same. */
drift_status drift_audio_denoise_buffer(drift_audio_denoiser *d, const float *x, size_t frames, int channels,
                                        int rate, float *y);

/* File to file in chunks (constant memory), written atomically in the
 * format out's name suggests (sndio.h); the input's rate and channels. */
drift_status drift_audio_denoise_file(drift_audio_denoiser *d, const char *in, const char *out);

#endif
