/* mel.h: mel filterbanks, mel spectrograms, decibels, and the
 * normalisation that turns a log-mel spectrogram into model input.
 *
 * The filterbank matches torchaudio.functional.melscale_fbanks (HTK or
 * Slaney mel scale; no normalisation or Slaney's "area" normalisation),
 * stored transposed as (n_mels, n_freqs). Mel spectrograms are
 * (n_mels, frames), the (C, L) layout drift's 1-D models use; linear
 * spectra are (frames, n_freqs) as stft.h produces them. */
#ifndef DRIFT_AUDIO_MEL_H
#define DRIFT_AUDIO_MEL_H

#include <stddef.h>

#include "drift.h"
#include "stft.h"

typedef enum drift_mel_scale { DRIFT_MEL_HTK, DRIFT_MEL_SLANEY } drift_mel_scale;
typedef enum drift_mel_norm { DRIFT_MEL_NORM_NONE, DRIFT_MEL_NORM_SLANEY } drift_mel_norm;

typedef struct drift_mel_config {
    int sample_rate; /* Hz */
    int n_freqs;     /* STFT bins, n_fft / 2 + 1 */
    int n_mels;
    double f_min;    /* Hz, >= 0 */
    double f_max;    /* Hz, <= sample_rate / 2; 0 means sample_rate / 2 */
    drift_mel_scale scale;
    drift_mel_norm norm;
} drift_mel_config;

typedef struct drift_mel drift_mel;

double drift_hz_to_mel(double hz, drift_mel_scale scale);
double drift_mel_to_hz(double mel, drift_mel_scale scale);

drift_status drift_mel_create(drift_mel **out, const drift_mel_config *cfg);
void drift_mel_free(drift_mel *m);
const drift_mel_config *drift_mel_get_config(const drift_mel *m);
/* The filterbank: (n_mels, n_freqs). */
const float *drift_mel_filterbank(const drift_mel *m);
/* Centre frequency of mel band i in Hz. */
double drift_mel_band_hz(const drift_mel *m, int band);

/* spec: (frames, n_freqs) -> mel: (n_mels, frames). Linear in spec, so it
 * applies to magnitude or power spectra alike. */
void drift_mel_apply(const drift_mel *m, const float *spec, size_t frames, float *mel);

/* Mel spectrogram of a mono signal, as torchaudio.transforms.MelSpectrogram:
 * x: (n) -> mel: (n_mels, frames) of |STFT|^power.
 * frames = drift_stft_frames(stft, n); the STFT's bins must equal n_freqs. */
drift_status drift_mel_spectrogram(const drift_stft *stft, const drift_mel *m, const float *x, size_t n,
                                   float power, float *mel);

/* Inverse of drift_mel_apply: the non-negative spec (frames, n_freqs)
 * that minimises ||FB spec^T - mel||_F^2, by projected gradient descent
 * with Nesterov acceleration (FISTA; step 1/L with L = ||FB||_2^2),
 * `iterations` steps (100 is plenty), started from each band's mean level
 * spread over its bins. A mel bank has far fewer rows than bins, so the
 * spectrum is not unique: the result reproduces the mel spectrogram, not
 * the fine structure inside each band. Measured on espeak-ng speech
 * (22.05 kHz, n_fft 1024, 80 Slaney mels): the mel spectrogram of the
 * result matches to < 1e-4 relative (Frobenius) after 50 steps, while the
 * linear magnitudes differ from the original by 27% (a 3 s sine sweep:
 * 20%). mel: (n_mels, frames). */
drift_status drift_mel_invert(const drift_mel *m, const float *mel, size_t frames, int iterations,
                              float *spec);

/* In place: x -> multiplier * log10(max(x, amin)) - multiplier *
 * log10(max(amin, ref)), then, if top_db > 0, clamped below at
 * (max - top_db), as torchaudio's AmplitudeToDB (multiplier 10 for power,
 * 20 for magnitude). */
void drift_amplitude_to_db(float *x, size_t n, float multiplier, float amin, float ref, float top_db);
/* In place: dB -> ref * 10^(db / multiplier). */
void drift_db_to_amplitude(float *x, size_t n, float multiplier, float ref);

/* Model input normalisation: dB values clipped to [lo_db, hi_db] and mapped
 * linearly onto [-1, 1]. Two numbers, so a model's configuration can carry
 * it. drift's default for power mel spectrograms (ref 1.0) is
 * lo_db = -100, hi_db = 60, which covers full-scale tones (n_fft <= 4096)
 * down to roughly -100 dB below them. */
typedef struct drift_spec_norm {
    float lo_db, hi_db;
} drift_spec_norm;

drift_spec_norm drift_spec_norm_default(void);
/* hi = the largest value of db[0..n), lo = hi - range_db. */
drift_spec_norm drift_spec_norm_fit(const float *db, size_t n, float range_db);
drift_status drift_spec_norm_check(const drift_spec_norm *norm);
void drift_spec_normalize(const drift_spec_norm *norm, float *x, size_t n);   /* dB -> [-1, 1] */
void drift_spec_denormalize(const drift_spec_norm *norm, float *x, size_t n); /* [-1, 1] -> dB */

#endif
