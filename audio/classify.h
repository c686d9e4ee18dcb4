/* classify.h: the audio classifier drift's sound evaluation uses
 * (scripts/eval_sound.sh): core/classifier.h's small CNN as a 1-D network
 * over log-mel spectrograms, mel bands as channels and frames as length
 * (base 32 channels, three stride-2 levels, a 256-wide embedding), trained
 * on normalised log-mels with AdamW on cross-entropy. Its pooled
 * embedding serves Frechet distances between sets of clips
 * (core/frechet.h). */
#ifndef DRIFT_AUDIO_CLASSIFY_H
#define DRIFT_AUDIO_CLASSIFY_H

#include <stdint.h>

#include "classifier.h"
#include "drift.h"
#include "frechet.h"

/* The configuration for n_mels bands and k classes. */
drift_classifier_config drift_sound_classifier_config(int n_mels, int k);

/* mels: (n, n_mels, frames) normalised log-mels, labels: (n) in [0, k).
 * Builds a classifier from seed and trains it for `epochs` epochs. */
drift_status drift_sound_classifier_train(const float *mels, const int *labels, int n, int n_mels, int frames,
                                          int k, int epochs, uint64_t seed, drift_classifier **out);

/* mels: (n, n_mels, frames) -> pred (n) and emb (n, drift_classifier_embed_dim),
 * either NULL if unwanted. */
drift_status drift_sound_classifier_run(drift_classifier *c, const float *mels, int n, int frames, int *pred,
                                        float *emb);

#endif
