/* stft.h: short-time Fourier transform and its inverse, planned once.
 *
 * Conventions follow torch.stft / torch.istft (onesided, unnormalised):
 *  - windows are periodic (as torch.hann_window(win_length)), zero-padded
 *    to n_fft with (n_fft - win_length) / 2 zeros on the left;
 *  - with `center`, the signal is reflect-padded by n_fft / 2 on both sides
 *    (pad_mode='reflect'), so frame t is centred on sample t * hop;
 *  - a spectrum is (frames, bins) with bins = n_fft / 2 + 1; complex values
 *    are stored as interleaved float pairs (re, im): (frames, bins, 2);
 *  - the inverse overlap-adds windowed frames and divides by the
 *    overlap-added squared window, as torch.istft does.
 *
 * A drift_stft holds the window and FFTW plans of one configuration. Plans
 * are made with FFTW_ESTIMATE once per object: FFTW_MEASURE picks its
 * algorithm by timing, so the same input could give results differing in
 * the last bits from run to run, and drift promises that the same settings
 * give the same output. Planning happens under a process-wide lock (FFTW's
 * planner is not thread-safe); after that every function here
 * may be called from several threads at once on different buffers. Frames
 * are spread over drift_parallel_for's threads. */
#ifndef DRIFT_AUDIO_STFT_H
#define DRIFT_AUDIO_STFT_H

#include <stdbool.h>
#include <stddef.h>

#include "drift.h"

typedef enum drift_window_kind {
    DRIFT_WINDOW_HANN,
    DRIFT_WINDOW_HAMMING, /* 0.54 - 0.46 cos */
    DRIFT_WINDOW_RECT,
} drift_window_kind;

typedef struct drift_stft_config {
    int n_fft;      /* >= 2 */
    int hop;        /* >= 1 */
    int win_length; /* 1..n_fft; 0 means n_fft */
    drift_window_kind window;
    bool center;    /* reflect-pad by n_fft/2 (torch's center=True) */
} drift_stft_config;

typedef struct drift_stft drift_stft;

/* "hann", "hamming", "rect" (also "rectangular", "boxcar"). */
drift_status drift_window_parse(const char *name, drift_window_kind *out);
const char *drift_window_name(drift_window_kind k);

drift_status drift_stft_create(drift_stft **out, const drift_stft_config *cfg);
void drift_stft_free(drift_stft *p);

const drift_stft_config *drift_stft_get_config(const drift_stft *p);
int drift_stft_bins(const drift_stft *p); /* n_fft / 2 + 1 */
/* The window zero-padded to n_fft: (n_fft). */
const float *drift_stft_window(const drift_stft *p);

/* Frames for a signal of n samples (0 if it is too short). */
size_t drift_stft_frames(const drift_stft *p, size_t n);
/* Signal length torch.istft returns for `frames` frames when no length is
 * given. */
size_t drift_istft_default_length(const drift_stft *p, size_t frames);

/* x: (n) -> spec: (frames, bins, 2), frames = drift_stft_frames(p, n). */
drift_status drift_stft_forward(const drift_stft *p, const float *x, size_t n, float *spec);

/* x: (n) -> mag: (frames, bins) holding |X|^power (power 1: magnitude,
 * 2: power spectrum). */
drift_status drift_stft_magnitude(const drift_stft *p, const float *x, size_t n, float power,
                                  float *mag);

/* spec: (frames, bins, 2) -> y: (length). length 0 means
 * drift_istft_default_length(p, frames); a longer length is zero-filled at
 * the end, as torch.istft does. The imaginary parts of the DC and Nyquist
 * bins are ignored. Fails if the squared window overlap-adds to (nearly)
 * zero anywhere in the output (hop too large for the window). */
drift_status drift_stft_inverse(const drift_stft *p, const float *spec, size_t frames, float *y,
                                size_t length);

#endif
