/* denoise.h: drift's audio denoising task.
 *
 * Representation. A denoise model works at one sample rate (16 kHz by
 * default) on STFT log-magnitudes: n_fft 512, hop 128 (periodic Hann,
 * centred frames), the lowest 256 of the 257 bins as the 1-D U-Net's
 * channels and `frames` STFT frames (64 = 0.51 s) as its length. Log
 * magnitudes 20 log10 |X| in dB are clipped to [db_lo, db_hi] and mapped
 * onto [-1, 1]. The U-Net sees the noisy log-magnitude as conditioning
 * channels (concatenated to x_t) and predicts the log-gain that turns it
 * into the clean one: gain = clean - noisy in normalised units, clipped
 * to [-1, 1] (0 keeps a bin, -1 takes 50 dB off). A gain varies more
 * smoothly over frequency than a spectrum, and a model that knows
 * nothing yet leaves its input alone. These
 * parameters travel in the model's task JSON:
 *     {"kind": "denoise", "sample_rate": 16000, "n_fft": 512, "hop": 128,
 *      "bins": 256, "frames": 64, "db_lo": -60, "db_hi": 40}
 *
 * Method "diffusion": each window of `frames` frames is sampled (DDIM,
 * `steps` levels, 1 by default) from noise or, with strength < 1, SDEdit-style from the
 * noisy log-magnitude noised to t = strength, always conditioned on the
 * noisy log-magnitude. The clean magnitude gets the noisy phase, optionally
 * refined by a few Griffin-Lim iterations started from it; the top bin
 * (Nyquist) takes the gain of the bin below it.
 *
 * Method "spectral": the classical baseline, at the file's own rate: a
 * Wiener filter with the decision-directed a priori SNR (Ephraim & Malah
 * 1984, alpha 0.98), gain floored at -20 dB, noise power spectrum from the
 * quietest 15% of frames of each chunk.
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
#include "sndio.h"
#include "stft.h"

typedef struct drift_denoise_params {
    int sample_rate;    /* Hz; 16000 */
    int n_fft, hop;     /* 512, 128 */
    int bins;           /* channels: the lowest `bins` STFT bins; 256 */
    int frames;         /* STFT frames per window (the U-Net length); 64 */
    float db_lo, db_hi; /* log-magnitude dB range mapped onto [-1, 1]; -60, 40 */
} drift_denoise_params;

drift_denoise_params drift_denoise_params_default(void);
/* Checks ranges (bins <= n_fft / 2, frames a multiple of 8, ...). */
drift_status drift_denoise_params_check(const drift_denoise_params *p);
/* The model's task JSON; fails clearly when the model is not a denoiser. */
drift_status drift_denoise_params_from_model(const drift_model *m, drift_denoise_params *p);
drift_status drift_denoise_params_from_json(const char *task_json, drift_denoise_params *p);
/* {"kind": "denoise", ...} (malloc'd), NULL when out of memory. */
char *drift_denoise_params_to_json(const drift_denoise_params *p);

/* Samples in one window: hop * (frames - 1) + 1 (its centred STFT has
 * exactly `frames` frames). */
size_t drift_denoise_window_samples(const drift_denoise_params *p);

/* The STFT of the representation (create once, share between threads). */
drift_status drift_denoise_stft(const drift_denoise_params *p, drift_stft **out);

/* One window x: (window_samples) -> feat: (bins, frames) normalised
 * log-magnitude; spec (may be NULL): (frames, n_fft/2+1, 2) its STFT. */
drift_status drift_denoise_features(const drift_denoise_params *p, const drift_stft *stft, const float *x,
                                    float *feat, float *spec);

/* Log-gain targets: gain: (n) = clamp(clean - noisy, -1, 1), where clean
 * and noisy are normalised features. apply: clean = noisy + gain. */
void drift_denoise_to_gain(const float *noisy, size_t n, float *clean_to_gain);
void drift_denoise_apply_gain(const float *noisy, size_t n, float *gain_to_clean);

/* Cleans a batch of windows: noisy: (count, bins, frames) normalised ->
 * clean: (count, bins, frames) normalised. first_window numbers the
 * windows for seeding. */
typedef drift_status (*drift_denoise_window_fn)(void *user, int count, int64_t first_window, const float *noisy,
                                                float *clean);

/* Runs fn over a mono signal at the params' rate in overlapping windows
 * and cross-fades the rebuilt audio: x: (n) -> y: (n) (may not alias).
 * gl_iters Griffin-Lim iterations refine the noisy phase (0 = none).
 * window_base numbers the first window (seeding). */
drift_status drift_denoise_mono(const drift_denoise_params *p, const drift_stft *stft, drift_denoise_window_fn fn,
                                void *user, int gl_iters, int64_t window_base, const float *x, size_t n, float *y);

/* The classical method on one mono signal at any rate: x: (n) -> y: (n). */
drift_status drift_denoise_spectral(const float *x, size_t n, int rate, float *y);

typedef enum drift_denoise_method { DRIFT_DENOISE_DIFFUSION, DRIFT_DENOISE_SPECTRAL } drift_denoise_method;
/* "diffusion", "spectral". */
drift_status drift_denoise_method_parse(const char *name, drift_denoise_method *out);

typedef struct drift_denoise_options {
    drift_denoise_method method;
    int steps;        /* sampler levels; default 1 */
    double strength;  /* 1 = from noise; < 1 SDEdit from the noisy input */
    uint64_t seed;
    int gl_iters;     /* Griffin-Lim iterations from the noisy phase; 0 */
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
