/* denoise_features.h: the audio denoiser's representation, shared by
 * training (pairs.c) and denoising (denoise.c), and the classical method.
 *
 * A denoise model works at one sample rate (16 kHz by default) on STFT
 * windows: n_fft 512, hop 128 (periodic Hann, centred frames), the lowest
 * 256 of the 257 bins, `frames` STFT frames (64 = 0.51 s) per window. A
 * 2-D U-Net sees a window as one (bins, frames) plane, a 1-D one as
 * `bins` channels of length `frames`; the layout in memory is the same.
 * The network is conditioned on two feature blocks per window
 * (concatenated to x_t):
 *   - the noisy log-magnitude 20 log10 |X| in dB, computed as if the
 *     window were scaled to an RMS of level_db (-25 dBFS), so that the
 *     features do not depend on how loud a recording is, clipped to
 *     [db_lo, db_hi] and mapped onto [-1, 1];
 *   - the classical method's decision-directed Wiener gain g of every bin
 *     (its noise estimate taken over the surrounding audio: a file chunk
 *     when denoising, a few seconds around the window in training), as
 *     2 g - 1.
 * It predicts the log residual r = clamp(log10(m / g), -1, 1) between the
 * ideal amplitude mask m = min(|clean| / |noisy|, 1) and that Wiener gain;
 * the mask applied is min(g 10^r, 1). So the network only has to improve
 * on the classical filter (a residual of 0 is the classical filter
 * itself). These parameters travel in the model's task JSON:
 *     {"kind": "denoise", "target": "wiener_log_residual", "sample_rate":
 *      16000, "n_fft": 512, "hop": 128, "bins": 256, "frames": 64,
 *      "db_lo": -60, "db_hi": 40, "level_dbfs": -25}
 *
 * The classical method, at a signal's own rate: a Wiener filter with the
 * decision-directed a priori SNR (Ephraim & Malah 1984, alpha 0.98, the
 * recursion started from the first frame's power above the noise), gain
 * floored at -20 dB, noise power spectrum from the quietest 15% of frames. */
#ifndef DRIFT_AUDIO_DENOISE_FEATURES_H
#define DRIFT_AUDIO_DENOISE_FEATURES_H

#include <stddef.h>

#include "drift.h"
#include "stft.h"

typedef struct drift_denoise_params {
    int sample_rate;    /* Hz; 16000 */
    int n_fft, hop;     /* 512, 128 */
    int bins;           /* channels: the lowest `bins` STFT bins; 256 */
    int frames;         /* STFT frames per window (the U-Net length); 64 */
    float db_lo, db_hi; /* log-magnitude dB range mapped onto [-1, 1]; -60, 40 */
    float level_db;     /* each window's features as if its RMS were this (dBFS); -25 */
    float mask_gain_db; /* calibration added to every bin's mask, in dB (-20..20); 0. The network's
                           log-domain prediction is a geometric mean of the masks it cannot tell apart,
                           below their arithmetic mean, which is what keeps the most of the clean
                           signal; docs/DENOISE.md, Calibration */
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

/* The noise power spectrum of a signal x: (n) (n >= n_fft / 2): noise:
 * (n_fft/2+1) the mean STFT power of its quietest 15% of frames. */
drift_status drift_denoise_noise_estimate(const drift_denoise_params *p, const drift_stft *stft, const float *x,
                                          size_t n, float *noise);

/* The network's conditioning for one window x: (window_samples) and the
 * noise estimate of the signal around it, noise: (n_fft/2+1) ->
 * feat: (2 bins, frames): rows 0..bins-1 the normalised log-magnitude of
 * x as if x were scaled to an RMS of level_db; rows bins..2 bins-1 the
 * decision-directed Wiener gain g in [0.1, 1] of each bin (the classical
 * method's, restarted at the window), as 2 g - 1. spec (may be NULL):
 * (frames, n_fft/2+1, 2) the STFT of x as it is (unscaled). */
drift_status drift_denoise_features(const drift_denoise_params *p, const drift_stft *stft, const float *x,
                                    const float *noise, float *feat, float *spec);

/* The network's training target for one window pair: clean, noisy:
 * (window_samples) and cond: (2 bins, frames) the noisy window's features
 * -> target: (bins, frames) = clamp(log10(m / g), -1, 1): m = min(|C| /
 * |N|, 1) the ideal amplitude mask of their STFTs C and N, g the Wiener
 * gain in cond. work: (2, frames, n_fft/2+1, 2) scratch. */
drift_status drift_denoise_target(const drift_denoise_params *p, const drift_stft *stft, const float *clean,
                                  const float *noisy, const float *cond, float *work, float *target);
/* Network outputs x: (count, bins, frames) with their features cond:
 * (count, 2 bins, frames) -> masks min(g 10^(clamp(x, -1, 1) + mask_gain_db / 20), 1) in place. */
void drift_denoise_mask_from_output(const drift_denoise_params *p, int count, const float *cond, float *x);

/* The classical method on one mono signal at any rate: x: (n) -> y: (n). */
drift_status drift_denoise_spectral(const float *x, size_t n, int rate, float *y);

#endif
