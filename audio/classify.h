/* classify.h: the small audio classifier drift's sound evaluation uses:
 * pooled log-mel features (per-band mean and maximum, a 16-segment loudness
 * envelope) -> a one-hidden-layer network (ReLU) with a softmax output,
 * trained by full-batch Adam on cross-entropy. Its hidden layer is the
 * embedding for Frechet distances between sets of clips. */
#ifndef DRIFT_AUDIO_CLASSIFY_H
#define DRIFT_AUDIO_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "drift.h"

#define DRIFT_CLASSIFY_SEGMENTS 16

/* Feature length for n_mels bands. */
int drift_sound_feature_dim(int n_mels);
/* mel: (n_mels, frames) normalised log-mel -> feat (drift_sound_feature_dim). */
void drift_sound_features(const float *mel, int n_mels, int frames, float *feat);

typedef struct drift_classifier drift_classifier;

/* feats: (n, dim), labels: (n) in [0, k). */
drift_status drift_classifier_train(const float *feats, const int *labels, int n, int dim, int k, int hidden,
                                    int epochs, uint64_t seed, drift_classifier **out);
void drift_classifier_free(drift_classifier *c);
int drift_classifier_hidden(const drift_classifier *c);
/* The most likely class of one feature vector; emb (hidden) if not NULL. */
int drift_classifier_predict(const drift_classifier *c, const float *feat, float *emb);

/* Frechet distance between Gaussians fitted to a: (na, dim) and b: (nb, dim):
 * |mu_a - mu_b|^2 + tr(Sa + Sb - 2 (Sa^1/2 Sb Sa^1/2)^1/2). */
drift_status drift_frechet_distance(const float *a, int na, const float *b, int nb, int dim, double *out);

#endif
