/* sampler.h: drift's samplers: from noise to data through a denoiser.
 *
 * A sampler is a function of (schedule, denoiser callback, options, seed).
 * It never sees a network: it works on plain float arrays of `batch` rows
 * of `dim` floats and asks the callback for predictions. All samplers keep
 * x in the VP convention x_t = alpha x_0 + sigma eps of core/schedule.h and
 * start from x = N(0, I) at the first level (or from x_init noised there,
 * for img2img / SDEdit). The last step always lands on clean data: the
 * output is the data prediction x0_hat at the final noise level.
 *
 * Samplers (name for drift_sampler_parse in quotes):
 *  DDPM "ddpm"          ancestral sampling with the posterior variance
 *                       beta_tilde or beta (Ho et al. 2020); on a
 *                       subsampled grid the posterior between its levels.
 *  DDIM "ddim"          Song et al. 2021, with eta (0 = deterministic).
 *  EULER "euler",
 *  HEUN "heun"          Karras et al. 2022 (EDM) algorithm 2 on sigma_VE,
 *                       with optional churn (s_churn, s_tmin, s_tmax,
 *                       s_noise); Heun is the second-order probability-flow
 *                       ODE solver.
 *  DPMPP_2M "dpm++2m"   DPM-Solver++(2M) (Lu et al. 2022), multistep in
 *                       the half log-SNR; first order on the last step.
 *  DPMPP_2M_SDE "dpm++2m-sde"  its SDE variant (midpoint form, eta = 1).
 *  LANGEVIN "langevin"  annealed Langevin dynamics (Song & Ermon 2019) on a
 *                       geometric sigma_VE ladder of `steps` levels,
 *                       `langevin_steps` per level, step size
 *                       eps_i = 2 (snr sigma_i)^2, then one denoising step.
 *  PC "pc"              Euler-Maruyama on the reverse VP-SDE with an
 *                       optional Langevin corrector (Song et al. 2021).
 *                       Euler-Maruyama needs small steps: use it with the
 *                       linear schedule and ~1000 steps.
 *  PFODE_RK45 "rk45"    the probability-flow ODE in log sigma_VE by
 *                       Dormand-Prince 5(4) with error control (rtol, atol),
 *                       each sample with its own step sizes; `steps` caps
 *                       the accepted steps per sample.
 *
 * Zero-terminal-SNR schedules: the first level is pure noise (alpha = 0).
 * DDPM, DDIM and DPM-Solver++ handle it exactly. The samplers that work on
 * sigma_VE (Euler, Heun, Langevin, RK45) and PC start instead where
 * alpha_bar = 2^-24 (sigma_VE ~ 4096). With such schedules use
 * v-prediction: an eps-prediction carries no information about x_0 where
 * alpha = 0, and drift then divides by alpha clamped to 2^-12, which gives
 * finite but poor estimates (never NaN).
 *
 * Determinism: each sample r draws its noise from its own Philox stream
 * (seed, r), so the output depends only on the inputs, the seed and the
 * options, not on the batch size or the thread count. */
#ifndef DRIFT_SAMPLER_H
#define DRIFT_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schedule.h"
#include "status.h"

typedef enum drift_prediction {
    DRIFT_PRED_EPS, /* the network predicts the noise eps ("epsilon") */
    DRIFT_PRED_V,   /* v = alpha eps - sigma x_0 ("v_prediction") */
    DRIFT_PRED_X0,  /* x_0 itself ("sample") */
} drift_prediction;

const char *drift_prediction_name(drift_prediction p);
drift_status drift_prediction_parse(const char *name, drift_prediction *p);

/* The smallest alpha an eps-prediction is divided by (2^-12). */
#define DRIFT_MIN_ALPHA 0.000244140625

/* The conversion layer. x, pred: (n) at a level with alpha, sigma
 * (alpha^2 + sigma^2 = 1). Writes x0_hat, eps_hat and the score
 * -eps_hat / sigma into whichever outputs are not NULL. Outputs may alias
 * pred but not x. */
void drift_prediction_convert(drift_prediction p, double alpha, double sigma, const float *x, const float *pred,
                              size_t n, float *x0, float *eps, float *score);

/* The training target of a prediction type. x0, eps, target: (n). */
void drift_prediction_target(drift_prediction p, double alpha, double sigma, const float *x0, const float *eps,
                             size_t n, float *target);

/* The denoiser: pred[r] = model(x[r], t[r]) for the rows r of a (rows, dim)
 * batch. t is model time in [0, T-1] (fractional allowed); sample[r] is
 * the caller's sample that row r belongs to; uncond[r] != 0 asks for the
 * unconditional branch. With guidance, a call holds the conditional rows
 * first and then the unconditional rows of the same samples. A status
 * other than DRIFT_OK stops sampling and is returned with its message. */
typedef struct drift_denoiser {
    drift_status (*fn)(void *user, int rows, size_t dim, const float *x, const float *t, const int *sample,
                       const unsigned char *uncond, float *pred);
    void *user;
    drift_prediction prediction;
    bool has_uncond; /* the callback honours uncond[] (classifier-free guidance possible) */
} drift_denoiser;

typedef enum drift_sampler_kind {
    DRIFT_SAMPLER_DDPM,
    DRIFT_SAMPLER_DDIM,
    DRIFT_SAMPLER_EULER,
    DRIFT_SAMPLER_HEUN,
    DRIFT_SAMPLER_DPMPP_2M,
    DRIFT_SAMPLER_DPMPP_2M_SDE,
    DRIFT_SAMPLER_LANGEVIN,
    DRIFT_SAMPLER_PC,
    DRIFT_SAMPLER_PFODE_RK45,
    DRIFT_SAMPLER_COUNT
} drift_sampler_kind;

/* "ddpm", "ddim", "euler", "heun", "dpm++2m", "dpm++2m-sde", "langevin",
 * "pc", "rk45". parse also takes "dpmpp_2m", "dpmpp_2m_sde", "pfode-rk45";
 * an unknown name fails with a message listing the valid ones. */
const char *drift_sampler_name(drift_sampler_kind kind);
drift_status drift_sampler_parse(const char *name, drift_sampler_kind *kind);

/* Where the levels of a run sit. linspace: t evenly from t_max to 0;
 * leading / trailing: the integer grids of that name in diffusers
 * (trailing starts at T-1 exactly); karras: sigma_VE from sigma_max to
 * sigma_min with rho = 7 (Karras et al. 2022). DEFAULT picks the sampler's
 * own: karras for Heun and DPM-Solver++, linspace otherwise (measured
 * better for the first-order Euler, see bench/SAMPLERS.md). The
 * Langevin ladder is always geometric in sigma_VE. */
typedef enum drift_spacing {
    DRIFT_SPACING_DEFAULT,
    DRIFT_SPACING_LINSPACE,
    DRIFT_SPACING_LEADING,
    DRIFT_SPACING_TRAILING,
    DRIFT_SPACING_KARRAS,
} drift_spacing;

const char *drift_spacing_name(drift_spacing sp);
drift_status drift_spacing_parse(const char *name, drift_spacing *sp);

typedef enum drift_ddpm_variance {
    DRIFT_DDPM_POSTERIOR, /* beta_tilde = (1 - abar_prev) / (1 - abar_t) beta_t ("fixed_small") */
    DRIFT_DDPM_BETA,      /* beta_t ("fixed_large") */
} drift_ddpm_variance;

#define DRIFT_SAMPLER_MAX_DRAWS 64

typedef struct drift_sampler_options {
    drift_sampler_kind kind;
    int steps; /* levels at which the model is called (>= 1); RK45: cap on accepted steps */
    drift_spacing spacing;
    double karras_rho;                 /* 7 */
    double eta;                        /* DDIM, in [0, 1]; 0 */
    drift_ddpm_variance ddpm_variance; /* DDPM; posterior */
    double s_churn, s_tmin, s_tmax, s_noise; /* Euler/Heun churn; 0, 0, inf, 1 */
    int langevin_steps;                /* Langevin: per level; PC: corrector steps per level */
    double snr;                        /* Langevin step size eps = 2 (snr sigma)^2 */
    bool corrector;                    /* PC: run the Langevin corrector */
    double rtol, atol;                 /* RK45; 1e-4, 1e-4 */
    double guidance;                   /* classifier-free scale; 1 = off */
    /* Data range in the model's units: every x0 prediction is clamped to
     * [x0_min, x0_max] (and the noise estimate made consistent with it),
     * so guided predictions cannot leave the data's range. Off when
     * x0_min >= x0_max (the default). */
    double x0_min, x0_max;
    double strength;                   /* img2img: start at t = strength (T-1); 1 = from noise */
    const float *x_init;               /* (batch, dim) image to start from, or NULL */
    uint64_t seed;
    const uint64_t *streams;           /* (batch) each row's noise stream, or NULL: the row's index */
    /* Independent samples drawn per row and averaged: an estimate of the
     * posterior mean, which minimises the expected squared error (what a
     * restoration is scored by) at draws times the cost; 1 (0 reads as 1).
     * Draw 0 is the single sample's noise. */
    int draws;
    /* Called after each step; total is 0 when unknown (RK45). */
    void (*progress)(void *user, int step, int total);
    void *progress_user;
} drift_sampler_options;

/* Fills o with kind's defaults, including its recommended step count. */
void drift_sampler_defaults(drift_sampler_options *o, drift_sampler_kind kind);
int drift_sampler_default_steps(drift_sampler_kind kind);

/* Denoiser calls a run with these options makes (with guidance each call
 * carries twice the rows); -1 when it depends on the run (RK45). */
long drift_sampler_calls(const drift_sampler_options *o);

/* Checks options against a schedule and denoiser; the message names the
 * offending value. drift_sample calls it first. */
drift_status drift_sampler_check(const drift_schedule *s, const drift_denoiser *d, const drift_sampler_options *o,
                                 int batch, size_t dim);

/* Samples `batch` samples of `dim` floats into x (batch, dim). Allocates
 * its buffers once at the start, never per step. */
drift_status drift_sample(const drift_schedule *s, const drift_denoiser *d, const drift_sampler_options *o,
                          int batch, size_t dim, float *x);

/* Single updates, shared by the samplers and exposed for tests.
 * Levels are given by (alpha, sigma) of the current, noisier level t and
 * of the next level p (alpha_p > alpha_t; p = clean is alpha 1, sigma 0).
 * All arrays (n); out may alias x0, eps or xt. */

/* DDIM: out = alpha_p x0 + sqrt(sigma_p^2 - s^2) eps + s z with
 * s = eta sigma_p / sigma_t sqrt(1 - alpha_t^2 / alpha_p^2); z may be NULL when eta = 0. */
void drift_ddim_step(double alpha_t, double sigma_t, double alpha_p, double sigma_p, double eta, const float *x0,
                     const float *eps, const float *z, size_t n, float *out);

/* DDPM posterior q(x_p | x_t, x0): mean (n) and its variance. */
void drift_ddpm_posterior(double alpha_t, double sigma_t, double alpha_p, double sigma_p, drift_ddpm_variance v,
                          const float *xt, const float *x0, size_t n, float *mean, double *variance);

#endif
