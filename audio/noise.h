/* noise.h: noise generators for drift's denoising data and evaluation.
 *
 * Every generator writes n samples at a given rate, scaled to unit RMS,
 * drawing all its randomness from the caller's drift_rng, so the same
 * (seed, stream, counter) gives the same noise on any machine.
 *
 * Kinds used for training:
 *   white    flat spectrum
 *   pink     -3 dB/octave (white through a sum of one-pole filters)
 *   brown    -6 dB/octave (leaky integrated white), DC removed
 *   hum      mains hum: 50 or 60 Hz with random harmonics up to ~1 kHz
 *   babble   4 to 7 overlapping excerpts of other speech (needs clips)
 *   clicks   sparse decaying impulses plus fine crackle (vinyl-like)
 *   rumble   band-limited low noise, a random band inside 20..250 Hz
 *   tones    1 to 3 steady sine tones at 150 Hz .. 7 kHz (whistles,
 *            electrical interference); added after a model trained
 *            without it kept the held-out whine as if it were signal
 * Kinds held out of training, for evaluation only:
 *   fan      air-conditioner-like noise: pink-ish noise band-passed around
 *            a random 200..1200 Hz, slowly amplitude-modulated at a blade
 *            rate, with a faint blade tone
 *   whine    a tonal whine: 1..6 kHz tone with slow vibrato and two
 *            harmonics over a faint noise floor */
#ifndef DRIFT_AUDIO_NOISE_H
#define DRIFT_AUDIO_NOISE_H

#include <stdbool.h>
#include <stddef.h>

#include "drift.h"

typedef enum drift_noise_kind {
    DRIFT_NOISE_WHITE,
    DRIFT_NOISE_PINK,
    DRIFT_NOISE_BROWN,
    DRIFT_NOISE_HUM,
    DRIFT_NOISE_BABBLE,
    DRIFT_NOISE_CLICKS,
    DRIFT_NOISE_RUMBLE,
    DRIFT_NOISE_TONES,
    DRIFT_NOISE_FAN,
    DRIFT_NOISE_WHINE,
    DRIFT_NOISE_COUNT
} drift_noise_kind;

/* "white", "pink", ...; parse fails with a message listing the names. */
const char *drift_noise_name(drift_noise_kind kind);
drift_status drift_noise_parse(const char *name, drift_noise_kind *kind);

/* True for the kinds reserved for evaluation (fan, whine). */
bool drift_noise_held_out(drift_noise_kind kind);

/* Speech excerpts babble is made from: count clips of lengths[i] samples
 * at the generator's rate. */
typedef struct drift_noise_clips {
    const float *const *clips;
    const size_t *lengths;
    int count;
} drift_noise_clips;

/* out: (n) unit-RMS noise of `kind` at `rate` Hz (8000..192000). babble
 * needs speech (fails without clips). Fails on a bad kind or rate. */
drift_status drift_noise_generate(drift_noise_kind kind, int rate, size_t n, drift_rng *rng,
                                  const drift_noise_clips *speech, float *out);

/* Recolours x (n samples at rate) at random and makes its level
 * fluctuate (training augmentation); back at unit RMS. scratch: n floats. */
void drift_noise_augment(int rate, size_t n, drift_rng *rng, float *x, float *scratch);

/* x: (n) scaled in place to unit RMS (left alone when silent). */

void drift_noise_unit_rms(float *x, size_t n);

/* A biquad (RBJ cookbook) low-pass, high-pass or band-pass filter applied in
 * place to x: (n), cutoff / centre f0 Hz, quality q. */
typedef enum drift_biquad_kind { DRIFT_BIQUAD_LOWPASS, DRIFT_BIQUAD_HIGHPASS, DRIFT_BIQUAD_BANDPASS } drift_biquad_kind;
void drift_biquad(drift_biquad_kind kind, double f0, double q, int rate, float *x, size_t n);

#endif
