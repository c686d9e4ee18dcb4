/* phase.h: phase recovery from a magnitude spectrogram: Griffin-Lim and
 * fast Griffin-Lim (Perraudin, Balazs, Sondergaard 2013).
 *
 * Each iteration inverts the magnitudes with the current phases, takes the
 * STFT of the result, and keeps its phases. With momentum alpha the new
 * phases come from rebuilt - alpha / (1 + alpha) * previous_rebuilt, which
 * is torchaudio.functional.griffinlim's form of Perraudin's acceleration
 * (alpha = 0.99 is the recommended "fast" setting; 0 is plain
 * Griffin-Lim). Phases are normalised as z / (|z| + 1e-16). */
#ifndef DRIFT_AUDIO_PHASE_H
#define DRIFT_AUDIO_PHASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drift.h"
#include "stft.h"

typedef struct drift_griffinlim_options {
    int n_iter;             /* iterations, >= 0 (default 32) */
    float momentum;         /* in [0, 1) (default 0.99) */
    /* Initial phase, optional: the phases of this complex spectrogram
     * (frames, bins, 2), e.g. a noisy recording's when denoising. */
    const float *init_spec;
    /* Without init_spec: phases uniform on [0, 2 pi) from drift_rng(seed)
     * if true, else zero phase (torchaudio's rand_init=False). */
    bool random_init;
    uint64_t seed;
    size_t length;          /* output samples; 0: drift_istft_default_length */
} drift_griffinlim_options;

drift_griffinlim_options drift_griffinlim_defaults(void);

/* mag: (frames, bins) magnitudes -> y: (length). If spectral_convergence
 * is not NULL it receives ||mag - |STFT(y)|||_F / ||mag||_F. */
drift_status drift_griffinlim(const drift_stft *p, const float *mag, size_t frames,
                              const drift_griffinlim_options *opt, float *y, double *spectral_convergence);

/* ||mag - |STFT(y)|||_F / ||mag||_F for mag: (frames, bins), y: (n). */
drift_status drift_spectral_convergence(const drift_stft *p, const float *mag, size_t frames, const float *y,
                                        size_t n, double *out);

#endif
