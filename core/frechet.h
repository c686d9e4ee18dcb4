/* frechet.h: the Frechet distance between two sets of embeddings, each
 * summarised by a Gaussian (mean and covariance), as FID-style quality
 * measures use it:
 *
 *   d = |mu_a - mu_b|^2 + tr(C_a) + tr(C_b) - 2 tr(sqrt(C_a C_b)),
 *
 * with tr(sqrt(C_a C_b)) = tr(sqrt(C_a^1/2 C_b C_a^1/2)), the sum of the
 * square roots of that symmetric matrix's eigenvalues. The square roots
 * come from drift's own symmetric eigen-decomposition (cyclic Jacobi), in
 * double precision. Covariances are unbiased (divided by n - 1). */
#ifndef DRIFT_FRECHET_H
#define DRIFT_FRECHET_H

#include "status.h"

/* Eigen-decomposition of the symmetric a (n, n), row-major, which is
 * destroyed: eigenvalues into w (n, ascending), eigenvectors as the
 * columns of v (n, n) if v is not NULL. Cyclic Jacobi rotations until the
 * off-diagonal part is negligible against the matrix's norm. */
drift_status drift_sym_eigen(double *a, int n, double *w, double *v);

/* Mean mu (dim) and unbiased covariance cov (dim, dim) of x: (n, dim),
 * n >= 2. */
drift_status drift_gaussian_fit(const float *x, int n, int dim, double *mu, double *cov);

/* Frechet distance between two Gaussians of dimension dim. */
drift_status drift_frechet_gaussians(const double *mu_a, const double *cov_a, const double *mu_b,
                                     const double *cov_b, int dim, double *out);

/* Frechet distance between Gaussians fitted to a: (na, dim) and b: (nb, dim). */
drift_status drift_frechet_distance(const float *a, int na, const float *b, int nb, int dim,
                                    double *out);

#endif
