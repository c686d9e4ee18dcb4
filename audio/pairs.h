/* pairs.h: noisy/clean pairs for drift's denoising: clean clip sets,
 * mixing at a signal-to-noise ratio, the training data source that builds
 * pairs on the fly, and the two scores of a denoised result (SI-SDR and
 * log-spectral distance).
 *
 * A clip set is every audio file under a folder (recursively, sorted by
 * path), mixed to mono and resampled to one rate. Clips whose path has a
 * folder named "speech" are speech: babble noise is made from them.
 *
 * Each training pair: a random stretch of `context_seconds` of a random
 * clip (retried when nearly silent; zero-padded when the clip is
 * shorter), scaled to a random level (-35..-15 dBFS RMS), plus one noise
 * kind drawn from the allowed ones at an SNR uniform in [snr_lo, snr_hi]
 * dB over the stretch. A batch sample is one model window at a random
 * place in that stretch: its mask target (denoise.h) as x0, and as the
 * conditioning its noisy features with the noise estimate of the whole
 * noisy stretch, as the denoiser estimates it over a file's chunk. */
#ifndef DRIFT_AUDIO_PAIRS_H
#define DRIFT_AUDIO_PAIRS_H

#include <stdbool.h>
#include <stddef.h>

#include "denoise_features.h"
#include "drift.h"
#include "noise.h"

/* Audio files under dir (recursive; .wav .flac .ogg .aiff .aif .mp3 .opus),
 * sorted; *paths and each path malloc'd. Fails on an unreadable folder. */
drift_status drift_audio_list(const char *dir, char ***paths, size_t *n);
void drift_audio_list_free(char **paths, size_t n);

typedef struct drift_clip_set {
    float **clips;    /* (count) mono clips at rate */
    size_t *lengths;
    bool *is_speech;
    int count, rate;
} drift_clip_set;

/* Loads every audio file under dir (at most max_seconds of each; 0 = all).
 * Fails when there is none, naming the folder. */
drift_status drift_clip_set_load(const char *dir, int rate, double max_seconds, drift_clip_set *out);
void drift_clip_set_free(drift_clip_set *s);

/* noisy: (n) = clean + g noise with g chosen so that the clean-to-added
 * power ratio over the n samples is snr_db. */
void drift_mix_at_snr(const float *clean, const float *noise, size_t n, double snr_db, float *noisy);

/* Scale-invariant signal-to-distortion ratio in dB of est against ref
 * (both (n), means removed): 10 log10(|a ref|^2 / |a ref - est|^2) with
 * a = <est, ref> / <ref, ref>. */
double drift_si_sdr(const float *ref, const float *est, size_t n);

/* Log-spectral distance in dB: the mean over STFT frames (n_fft the power
 * of two >= 32 ms at rate, hop n_fft/4) of the RMS over bins of
 * 10 log10(P_ref + 1e-10) - 10 log10(P_est + 1e-10). */
drift_status drift_log_spectral_distance(const float *ref, const float *est, size_t n, int rate, double *out);

typedef struct drift_pair_options {
    double snr_lo, snr_hi;  /* dB; -5, 20 */
    unsigned noise_mask;    /* bit k allows drift_noise_kind k; 0 = every training kind */
    double context_seconds; /* length of each pair (at least one window); 3 */
    double augment;         /* probability of drift_noise_augment on each pair's noise; 0 */
} drift_pair_options;

typedef struct drift_pair_source drift_pair_source;

/* clips is borrowed and must outlive the source. */
drift_status drift_pair_source_create(const drift_clip_set *clips, const drift_denoise_params *p,
                                      const drift_pair_options *o, drift_pair_source **out);
void drift_pair_source_free(drift_pair_source *ps);

/* Samples in each pair: the context, at least one model window. */
size_t drift_pair_samples(const drift_pair_source *ps);

/* One pair (drift_pair_samples(ps) samples each) from rng; *kind and
 * *snr_db (may be NULL) say what was mixed. */
drift_status drift_pair_make(drift_pair_source *ps, drift_rng *rng, float *clean, float *noisy,
                             drift_noise_kind *kind, double *snr_db);

/* The trainer's data source (x0 = log-gains, extra = noisy features). */
drift_data_source drift_pair_source_data(drift_pair_source *ps);

#endif
