/* optim.h: training updates: AdamW, gradient clipping, the learning-rate
 * schedule and an exponential moving average (EMA) of the weights.
 *
 * All of them work on a drift_params set's flat buffers in single passes,
 * split over drift's threads in fixed blocks, so results do not depend on
 * the thread count. Every piece of state (moments, step counts, EMA
 * weights) is reachable so that a trainer can save it and resume bit for
 * bit. */
#ifndef DRIFT_OPTIM_H
#define DRIFT_OPTIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "params.h"
#include "status.h"

/* ---- AdamW (as torch.optim.AdamW, without amsgrad) ------------------- */

typedef struct drift_adamw_config {
    double beta1, beta2;  /* moment decay rates */
    double eps;           /* added to sqrt(v_hat), outside the square root */
    double weight_decay;  /* decoupled: p -= lr * weight_decay * p before the update */
    bool decay_1d;       /* false: 1-D tensors (biases, norm scales) get no decay */
} drift_adamw_config;

/* torch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01, decay
 * on every tensor. */
drift_adamw_config drift_adamw_defaults(void);

typedef struct drift_adamw drift_adamw;

/* An optimiser for the finalized set p (which must outlive it); moments
 * start at zero, step count 0. NULL on error. */
drift_adamw *drift_adamw_create(drift_params *p, const drift_adamw_config *cfg);
void drift_adamw_free(drift_adamw *opt);

/* One update of every parameter from its gradient, with learning rate lr:
 *   t += 1
 *   p -= lr * wd * p                       (wd = 0 for excluded tensors)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g^2
 *   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * Scalars are formed in double and applied in float, as torch does.
 * Gradients are left as they are (zero them before the next backward). */
drift_status drift_adamw_step(drift_adamw *opt, double lr);

/* State for checkpoints: the moment buffers (drift_params_numel floats,
 * laid out like the parameters' data buffer) and the step count. */
float *drift_adamw_m(const drift_adamw *opt);
float *drift_adamw_v(const drift_adamw *opt);
int64_t drift_adamw_steps(const drift_adamw *opt);
void drift_adamw_set_steps(drift_adamw *opt, int64_t steps);
const drift_adamw_config *drift_adamw_get_config(const drift_adamw *opt);

/* ---- gradient clipping (as torch.nn.utils.clip_grad_norm_) ----------- */

/* Measures the global 2-norm of all gradients of p (accumulated in double)
 * into *norm and, if max_norm > 0, scales every gradient by
 * min(1, max_norm / (norm + 1e-6)). max_norm <= 0 only measures. A NaN or
 * Inf norm leaves the gradients untouched and returns DRIFT_ERR_NUMERIC
 * with a message naming the first tensor with a non-finite gradient. */
drift_status drift_clip_grad_norm(drift_params *p, float max_norm, double *norm);

/* ---- learning-rate schedule ------------------------------------------ */

typedef struct drift_lr_schedule {
    double base_lr;       /* peak rate, reached at the end of warmup */
    double min_lr;        /* floor the cosine decays to */
    int64_t warmup_steps; /* 0: no warmup */
    int64_t total_steps;  /* warmup + decay; steps beyond stay at min_lr */
} drift_lr_schedule;

/* The rate for 0-based step `step`, a pure function:
 *   step < warmup:  base_lr * (step + 1) / warmup
 *   otherwise:      r = (step - warmup) / (total - warmup), clamped to [0, 1]
 *                   min_lr + (base_lr - min_lr) * (1 + cos(pi * r)) / 2
 * (with total <= warmup the rate after warmup is base_lr). */
double drift_lr_at(const drift_lr_schedule *s, int64_t step);

/* ---- EMA of the weights ---------------------------------------------- */

typedef struct drift_ema drift_ema;

/* Shadow weights starting as a copy of the model's. With `warmup` the
 * decay of update k (0-based) is min(decay, (1 + k) / (10 + k)), so early
 * shadows follow the fast-moving weights; without it, always `decay`.
 * NULL on error (decay must be in [0, 1]). */
drift_ema *drift_ema_create(const drift_params *model, float decay, bool warmup);
void drift_ema_free(drift_ema *e);

/* The decay the update after `updates` earlier updates uses. */
float drift_ema_decay_at(const drift_ema *e, int64_t updates);

/* shadow = d * shadow + (1 - d) * model, d = drift_ema_decay_at(count);
 * count += 1. The model must have the layout the EMA was created with. */
drift_status drift_ema_update(drift_ema *e, const drift_params *model);

/* Exchange the model's values with the shadow's (call again to swap
 * back): sample with EMA weights without a second model. */
drift_status drift_ema_swap(drift_ema *e, drift_params *model);
/* Copy the shadow into the model (for exporting the EMA weights). */
drift_status drift_ema_copy_to(const drift_ema *e, drift_params *model);

/* State for checkpoints: the shadow as a parameter set (same names as the
 * model, no gradients) and the number of updates done. */
drift_params *drift_ema_params(const drift_ema *e);
int64_t drift_ema_updates(const drift_ema *e);
void drift_ema_set_updates(drift_ema *e, int64_t updates);

#endif
