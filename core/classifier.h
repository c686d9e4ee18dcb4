/* classifier.h: a small convolutional classifier built from drift's own
 * operators, trained in the project to judge generated outputs (accuracy
 * on requested classes, Frechet distances between embeddings).
 *
 * Structure, for 1-D (N,C,L) or 2-D (N,C,H,W) inputs, kernel 3:
 *   stem:     conv (in -> base), group norm, SiLU
 *   level l:  conv stride 2 (c -> 2c), group norm, SiLU,
 *             conv (2c -> 2c), group norm, SiLU          (l = 1..n_levels)
 *   pooling:  global average over positions -> the embedding (N, E),
 *             E = base_channels * 2^n_levels
 *   head:     linear E -> n_classes logits.
 * The network sees (x - in_mean) / in_std. It trains with AdamW on softmax
 * cross-entropy over shuffled minibatches (warmup, cosine decay), every
 * random choice from the seed. A model file is a safetensors file with
 * metadata "drift.classifier" = the configuration as JSON (class names
 * included), so one file is one usable classifier. */
#ifndef DRIFT_CLASSIFIER_H
#define DRIFT_CLASSIFIER_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"

#define DRIFT_CLASSIFIER_MAX_LEVELS 5

typedef struct drift_classifier_config {
    int dims;            /* 1: (N,C,L); 2: (N,C,H,W) */
    int in_channels;
    int n_classes;       /* >= 2 */
    int base_channels;   /* channels of the stem */
    int n_levels;        /* stride-2 levels, 0..DRIFT_CLASSIFIER_MAX_LEVELS */
    int groups;          /* group-norm groups (divides base_channels) */
    float in_mean, in_std; /* input normalisation, in_std > 0 */
    char **class_names;  /* n_classes names, or NULL */
} drift_classifier_config;

typedef struct drift_classifier drift_classifier;

/* base 16, 2 levels, 8 groups, identity normalisation, no names. */
drift_classifier_config drift_classifier_config_default(int dims, int in_channels, int n_classes);
drift_status drift_classifier_check_config(const drift_classifier_config *cfg);

/* A classifier with PyTorch-default initialised weights from seed (the
 * configuration, names included, is copied). */
drift_status drift_classifier_create(const drift_classifier_config *cfg, uint64_t seed,
                                     drift_classifier **out);
void drift_classifier_free(drift_classifier *c);

const drift_classifier_config *drift_classifier_get_config(const drift_classifier *c);
/* The parameters (names as in PyTorch's state_dict of the same network:
 * stem.conv.weight, down1.0.norm.bias, ..., head.weight). */
struct drift_params *drift_classifier_params(drift_classifier *c);

/* Width E of the embedding. */
int drift_classifier_embed_dim(const drift_classifier *c);
/* Name of class k, or NULL. */
const char *drift_classifier_class_name(const drift_classifier *c, int k);

typedef struct drift_classifier_train_options {
    int epochs;
    int batch;
    double lr;           /* peak rate after warmup; cosine decay to lr / 20 */
    double weight_decay;
    uint64_t seed;       /* shuffles and flips */
    bool flip_last;      /* random flips along the last axis (images: horizontal) */
    /* Called after each epoch with the mean training loss; non-zero stops. */
    int (*progress)(void *user, int epoch, int epochs, double loss);
    void *progress_user;
} drift_classifier_train_options;

/* 5 epochs of batch 64, lr 2e-3, weight decay 1e-4, seed 0, no flips. */
void drift_classifier_train_defaults(drift_classifier_train_options *o);

/* x: (n, in_channels, spatial...), labels: n ids in [0, n_classes).
 * spatial: L, or H and W. Trains c in place. */
drift_status drift_classifier_train(drift_classifier *c, const float *x, const int *labels, int n,
                                    const int *spatial, const drift_classifier_train_options *o);

/* x: (n, in_channels, spatial...) -> any of logits (n, n_classes),
 * emb (n, E) and pred (n) class ids (the argmax), each NULL if unwanted.
 * Runs in chunks without gradients. */
drift_status drift_classifier_run(drift_classifier *c, const float *x, int n, const int *spatial,
                                  float *logits, float *emb, int *pred);

/* Fraction of x's n samples whose predicted class equals labels[i]
 * (labels < 0 are not counted); emb (n, E) filled if not NULL. */
drift_status drift_classifier_accuracy(drift_classifier *c, const float *x, const int *labels, int n,
                                       const int *spatial, float *emb, double *accuracy);

/* Model files: saved atomically (float32), loaded with every size
 * checked. Loading fails naming the file if it is not a classifier. */
drift_status drift_classifier_save(const drift_classifier *c, const char *path);
drift_status drift_classifier_load(const char *path, drift_classifier **out);

#endif
