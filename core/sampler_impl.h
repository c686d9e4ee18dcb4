/* sampler_impl.h: what the sampler files share inside core/ (not public):
 * the run state, noise levels, the guided and converted model call, and
 * per-sample noise. sampler.c holds the stochastic VP samplers and the
 * plumbing; sampler_ode.c the sigma_VE and log-SNR solvers. */
#ifndef DRIFT_SAMPLER_IMPL_H
#define DRIFT_SAMPLER_IMPL_H

#include "rng.h"
#include "sampler.h"

/* One noise level. hl = log(alpha / sigma) is the half log-SNR that
 * DPM-Solver++ steps in. The clean level has t = -1, alpha = 1, sigma = 0,
 * hl = +inf and is never passed to the model. */
typedef struct sampler_level {
    double t, alpha, sigma, hl;
} sampler_level;

#define SAMPLER_WORK 12 /* scratch arrays of batch*dim floats */

typedef struct sampler_run {
    const drift_schedule *s;
    const drift_denoiser *d;
    const drift_sampler_options *o;
    int batch;
    size_t dim, n;     /* n = batch * dim */
    int nlev;          /* steps + 1, the last is the clean level */
    sampler_level *lev;
    /* one packed denoiser call: up to 2*batch rows with guidance */
    float *in_x, *in_t, *pred;
    int *in_sample;
    unsigned char *in_uncond;
    sampler_level *row_lev; /* level of each row of a call */
    int *all_rows;          /* 0..batch-1 */
    drift_rng *rng;         /* one stream per sample */
    float *spare;           /* (batch, 4): normals left over from each stream's last block */
    int *nspare;
    float *w[SAMPLER_WORK];
    long calls;
    int draw, draws;        /* the draw running, of draws (drift_sampler_options.draws) */
} sampler_run;

/* The level at model time t; the clean level. */
sampler_level sampler_level_at(const drift_schedule *s, double t);
sampler_level sampler_level_clean(void);
/* The level at sigma_VE, clamped to the schedule's range. */
sampler_level sampler_level_at_sigma_ve(const drift_schedule *s, double sigma_ve);
static inline double sampler_sigma_ve(const sampler_level *l) { return l->sigma / l->alpha; }

/* x0_hat and/or eps_hat (rows, dim) for rows `ids` (samples) of x (rows,
 * dim, VP) at per-row levels `lv` (NULL: all at *one). With guidance the
 * call carries 2*rows rows. Checks the predictions are finite. */
drift_status sampler_eval_rows(sampler_run *r, int rows, const int *ids, const float *x, const sampler_level *lv,
                               const sampler_level *one, float *x0, float *eps);
/* All samples at one level. */
drift_status sampler_eval(sampler_run *r, const sampler_level *l, const float *x, float *x0, float *eps);

/* z (batch, dim) of N(0,1), sample b's row from its own stream. */
void sampler_noise(sampler_run *r, float *z);

void sampler_progress(const sampler_run *r, int step, int total);

/* sampler_ode.c */
drift_status sampler_run_karras(sampler_run *r, float *x, bool heun);
drift_status sampler_run_dpmpp(sampler_run *r, float *x, bool sde);
drift_status sampler_run_rk45(sampler_run *r, float *x);

#endif
