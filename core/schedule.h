/* schedule.h: drift's noise schedules and the forward (noising) process.
 *
 * A schedule is the discrete DDPM view (num_train_timesteps T, betas,
 * alphas_cumprod = alpha_bar) plus a continuous view through the log-SNR
 *     lambda(t) = log(alpha_bar / (1 - alpha_bar))
 * at fractional model time t in [0, T-1], interpolated linearly in lambda
 * between integer steps. From lambda follow alpha(t) = sqrt(alpha_bar) and
 * sigma(t) = sqrt(1 - alpha_bar) of the variance-preserving (VP) process
 * x_t = alpha x_0 + sigma eps, and sigma_VE = sigma / alpha of the
 * equivalent variance-exploding view x_t / alpha = x_0 + sigma_VE eps.
 * The inverses t(lambda) and t(sigma_VE) let a sampler choose any number
 * of steps and any spacing at sampling time.
 *
 * Zero terminal SNR (Lin et al. 2023, "Common diffusion noise schedules and
 * sample steps are flawed") rescales sqrt(alpha_bar) so that the last step
 * is pure noise: alpha_bar[T-1] = 0 and lambda(T-1) = -inf. On that last
 * segment drift interpolates alpha_bar linearly instead of lambda, so
 * every t < T-1 still has a finite lambda. */
#ifndef DRIFT_SCHEDULE_H
#define DRIFT_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#include "rng.h"
#include "status.h"

typedef enum drift_beta_schedule {
    DRIFT_BETA_LINEAR,  /* betas linear from 1e-4 to 0.02 (Ho et al. 2020) */
    DRIFT_BETA_COSINE,  /* alpha_bar = cos^2(((t/T)+s)/(1+s) pi/2), s = 0.008, beta <= 0.999 (Nichol & Dhariwal 2021) */
    DRIFT_BETA_SIGMOID, /* betas = 1e-4 + (0.02 - 1e-4) sigmoid(linspace(-6, 6, T)) */
} drift_beta_schedule;

typedef struct drift_schedule {
    int T;                  /* num_train_timesteps */
    drift_beta_schedule kind;
    bool zero_terminal_snr;
    double *betas;          /* [T] */
    double *alphas_cumprod; /* [T] alpha_bar */
    double *log_snr;        /* [T] lambda; -inf at T-1 with zero terminal SNR */
} drift_schedule;

/* Builds a schedule of T (>= 2, <= 100000) training steps. Free with
 * drift_schedule_free (also safe on a zeroed or failed schedule). */
drift_status drift_schedule_init(drift_schedule *s, drift_beta_schedule kind, int T, bool zero_terminal_snr);
/* The same from caller-given betas[T] (each in (0, 1)); kind is left LINEAR. */
drift_status drift_schedule_init_betas(drift_schedule *s, const double *betas, int T, bool zero_terminal_snr);
void drift_schedule_free(drift_schedule *s);

/* Names: "linear", "cosine" (also "squaredcos_cap_v2"), "sigmoid". */
const char *drift_beta_schedule_name(drift_beta_schedule kind);
drift_status drift_beta_schedule_parse(const char *name, drift_beta_schedule *kind);

/* Continuous view at model time t (clamped to [0, T-1]). */
double drift_schedule_log_snr(const drift_schedule *s, double t);
double drift_schedule_alpha_bar(const drift_schedule *s, double t);
/* alpha = sqrt(alpha_bar), sigma = sqrt(1 - alpha_bar), both computed from
 * lambda without cancellation; either pointer may be NULL. */
void drift_schedule_alpha_sigma(const drift_schedule *s, double t, double *alpha, double *sigma);
/* sigma_VE = sigma / alpha (+inf where alpha_bar = 0). */
double drift_schedule_sigma_ve(const drift_schedule *s, double t);

/* Inverses: the model time whose lambda (or sigma_VE) is the given one,
 * clamped to [0, T-1] outside the schedule's range. */
double drift_schedule_t_of_log_snr(const drift_schedule *s, double lambda);
double drift_schedule_t_of_sigma_ve(const drift_schedule *s, double sigma_ve);

/* Forward process q(x_t | x_0) at model time t, n floats:
 * xt = alpha x0 + sigma eps. xt may alias x0 or eps. */
void drift_forward(const drift_schedule *s, double t, const float *x0, const float *eps, size_t n, float *xt);
/* The same with eps drawn from r (written to eps_out when it is not NULL). */
void drift_forward_rng(const drift_schedule *s, double t, const float *x0, size_t n, drift_rng *r, float *eps_out,
                       float *xt);

#endif
