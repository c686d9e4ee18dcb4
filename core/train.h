/* train.h: training a model, resumably.
 *
 * Each step draws timesteps and noise, noises a batch, predicts the model's
 * target (eps, v or x0) with min-SNR-gamma weighting and label dropout for
 * classifier-free guidance, clips gradients, takes an AdamW step at the
 * scheduled learning rate and updates the EMA weights.
 *
 * Every random choice of step k comes from Philox streams keyed by (seed,
 * k), and the data source is asked for step k's batch by number, so a run
 * stopped at any point (even by SIGKILL) and resumed from its last
 * checkpoint gives bit-identical weights to an uninterrupted run. A NaN or
 * Inf in the loss or gradients stops training with the step named; the
 * last good checkpoint stays on disk. The next batch is prepared by a
 * background thread while the current step computes. */
#ifndef DRIFT_TRAIN_H
#define DRIFT_TRAIN_H

#include <stdint.h>

#include "model.h"

/* One batch, in the network's (normalised) units. The trainer owns the
 * buffers; a data source fills them. */
typedef struct drift_batch {
    int size;
    size_t dim;       /* floats per sample of x0 */
    float *x0;        /* (size, dim) */
    int *class_ids;   /* (size) when the model has classes */
    int *tag_ids;     /* (size, max_tags) when the model has tags, -1 padded */
    float *extra;     /* (size, extra_dim) when the model has conditioning channels */
    size_t extra_dim;
} drift_batch;

/* Fills the batch of step `step` using only (step, rng): it must give the
 * same batch for the same step whenever it is asked. Called from a
 * background thread, never twice at once. */
typedef struct drift_data_source {
    drift_status (*fill)(void *user, int64_t step, drift_rng *rng, drift_batch *out);
    void *user;
} drift_data_source;

typedef struct drift_train_options {
    int spatial[2];           /* sample size: L (1-D) or H, W (2-D) */
    int64_t steps;            /* total steps of the run */
    int batch;
    double lr, min_lr;        /* peak and floor of warmup + cosine */
    int64_t warmup;
    double weight_decay;
    double clip;              /* global gradient norm; 0 = off */
    double ema_decay;         /* 0 = no EMA (the model file gets the raw weights) */
    double min_snr_gamma;     /* 0 = uniform weighting */
    double cond_drop;         /* probability of dropping conditioning */
    double tag_drop;          /* probability of dropping each tag after a row's first, so that
                                 prompts of fewer tags are trained too (0 = off) */
    double tag_drop_first;    /* probability of then dropping the first tag too, when another
                                 remains, so that prompts without it (a family name alone)
                                 are trained as well (0 = off) */
    uint64_t seed;
    int64_t checkpoint_every; /* steps; 0 = only at the end */
    const char *checkpoint_path; /* resumable state; resumed from when it exists */
    const char *model_path;      /* the usable model (EMA weights), written with each checkpoint */
    drift_st_dtype model_dtype;
    /* Data-parallel training: this process takes rows [shard_index * batch /
     * shard_count, (shard_index + 1) * batch / shard_count) of every global
     * batch (of `batch` rows), and `reduce` sums the gradient buffer (and the
     * loss) over all processes after each backward pass. With the same seed,
     * any number of shards computes the same steps as one process, up to the
     * order of float sums. Only a process with write_files set writes
     * checkpoints and models. shard_count 0 or 1: a single process. */
    int shard_index, shard_count;
    drift_status (*reduce)(void *user, float *grad, size_t n, double *loss);
    void *reduce_user;
    bool skip_writes; /* true on every process but one */
    /* Called after every step with its loss; return non-zero to stop
     * (a checkpoint is written first). */
    int (*progress)(void *user, int64_t step, int64_t total, double loss, double lr);
    void *progress_user;
} drift_train_options;

void drift_train_defaults(drift_train_options *o);

/* Trains m (its weights are updated in place; on return they are the raw,
 * not EMA, weights). Resumes from o->checkpoint_path when that file exists
 * and matches the model. */
drift_status drift_train(drift_model *m, const drift_data_source *src, const drift_train_options *o);

/* The loss of each step so far, from a checkpoint file: *losses is
 * malloc'd, n its length. For loss curves. */
drift_status drift_train_loss_log(const char *checkpoint_path, float **losses, size_t *n);

#endif
