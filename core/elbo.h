/* elbo.h: the variational bound of a model on data, in bits per dimension,
 * as the DDPM paper reports it (Ho et al. 2020, section 3.3 and 4.2):
 *
 *   -log p(x0) <= L_T + sum_{t=1}^{T-1} L_t + L_0
 *
 * with L_T = KL(q(x_T | x0) || N(0, I)); L_t = KL(q(x_{t-1} | x_t, x0) ||
 * p(x_{t-1} | x_t)), the reverse process having the posterior variance
 * beta_tilde_t and the mean from the model's x0 estimate; and L_0 the
 * discretised Gaussian decoder (variance beta_1) over 256 levels of data
 * scaled to [-1, 1]. The middle sum is estimated by stratified sampling of
 * t (exact when t_samples >= T - 1). Data must be 8-bit values mapped to
 * [-1, 1] in the network's units (Fashion-MNIST with mean = std = 0.5). */
#ifndef DRIFT_ELBO_H
#define DRIFT_ELBO_H

#include "model.h"

typedef struct drift_elbo_result {
    double bpd;           /* total bound, bits per dimension */
    double prior_bpd;     /* L_T */
    double diffusion_bpd; /* sum of L_t, 1 <= t <= T-1 */
    double decoder_bpd;   /* L_0 */
} drift_elbo_result;

/* x0: (n, dim) in the network's units; class_ids: (n) or NULL. spatial: L
 * or H, W. batch bounds one network call. */
drift_status drift_elbo(drift_model *m, const float *x0, int n, const int *spatial, const int *class_ids,
                        int t_samples, uint64_t seed, int batch, drift_elbo_result *out);

/* The same for any denoiser (rows of dim floats; sample[r] indexes x0). */
drift_status drift_elbo_denoiser(const drift_schedule *sc, const drift_denoiser *d, const float *x0, int n,
                                 size_t dim, int t_samples, uint64_t seed, int batch, drift_elbo_result *out);

/* log of the probability mass a Gaussian N(mean, sigma^2) puts on the
 * 8-bit bin of x in [-1, 1] (edge bins extend to infinity). */
double drift_discretized_gaussian_log_prob(double x, double mean, double sigma);

#endif
