/* frechet.c: Gaussian fits, a Jacobi symmetric eigen-solver and the
 * Frechet distance between two Gaussians (see frechet.h). */
#include "frechet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FRECHET_MAX_DIM 4096
#define JACOBI_MAX_SWEEPS 100

static double off_diagonal_sq(const double *a, int n)
{
    double s = 0;
    for (int p = 0; p < n; p++)
        for (int q = p + 1; q < n; q++)
            s += 2 * a[(size_t)p * n + q] * a[(size_t)p * n + q];
    return s;
}

/* Applies the rotation (c, s) in the (p, q) plane: a = J^T a J, v = v J. */
static void jacobi_rotate(double *a, double *v, int n, int p, int q, double c, double s)
{
    for (int k = 0; k < n; k++) { /* columns p and q */
        double akp = a[(size_t)k * n + p], akq = a[(size_t)k * n + q];
        a[(size_t)k * n + p] = c * akp - s * akq;
        a[(size_t)k * n + q] = s * akp + c * akq;
    }
    for (int k = 0; k < n; k++) { /* rows p and q */
        double apk = a[(size_t)p * n + k], aqk = a[(size_t)q * n + k];
        a[(size_t)p * n + k] = c * apk - s * aqk;
        a[(size_t)q * n + k] = s * apk + c * aqk;
    }
    for (int k = 0; v && k < n; k++) {
        double vkp = v[(size_t)k * n + p], vkq = v[(size_t)k * n + q];
        v[(size_t)k * n + p] = c * vkp - s * vkq;
        v[(size_t)k * n + q] = s * vkp + c * vkq;
    }
}

/* One sweep over every pair (p, q): the rotation that zeroes a[p][q]. */
static void jacobi_sweep(double *a, double *v, int n)
{
    for (int p = 0; p < n; p++)
        for (int q = p + 1; q < n; q++) {
            double apq = a[(size_t)p * n + q];
            if (apq == 0)
                continue;
            double theta = (a[(size_t)q * n + q] - a[(size_t)p * n + p]) / (2 * apq);
            double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
            double c = 1 / sqrt(t * t + 1);
            jacobi_rotate(a, v, n, p, q, c, t * c);
        }
}

static int compare_eigen(const void *x, const void *y)
{
    const double *a = x, *b = y;
    return (a[0] > b[0]) - (a[0] < b[0]);
}

/* Sorts w ascending, carrying v's columns along. */
static drift_status sort_eigen(double *w, double *v, int n)
{
    double *pairs = malloc((size_t)n * 2 * sizeof *pairs);
    double *vc = v ? malloc((size_t)n * n * sizeof *vc) : NULL;
    if (!pairs || (v && !vc)) {
        free(pairs), free(vc);
        return drift_fail(DRIFT_ERR_NOMEM, "drift_sym_eigen: out of memory for %d x %d", n, n);
    }
    for (int i = 0; i < n; i++)
        pairs[2 * i] = w[i], pairs[2 * i + 1] = i;
    qsort(pairs, (size_t)n, 2 * sizeof *pairs, compare_eigen);
    if (v)
        memcpy(vc, v, (size_t)n * n * sizeof *vc);
    for (int i = 0; i < n; i++) {
        w[i] = pairs[2 * i];
        int from = (int)pairs[2 * i + 1];
        for (int k = 0; v && k < n; k++)
            v[(size_t)k * n + i] = vc[(size_t)k * n + from];
    }
    free(pairs), free(vc);
    return DRIFT_OK;
}

drift_status drift_sym_eigen(double *a, int n, double *w, double *v)
{
    if (n < 1 || n > FRECHET_MAX_DIM)
        return drift_fail(DRIFT_ERR_ARG, "drift_sym_eigen: size %d is not in [1, %d]", n, FRECHET_MAX_DIM);
    double norm = 0;
    for (size_t i = 0; i < (size_t)n * n; i++) {
        if (!isfinite(a[i]))
            return drift_fail(DRIFT_ERR_NUMERIC, "drift_sym_eigen: element %zu is %g", i, a[i]);
        norm += a[i] * a[i];
    }
    for (int i = 0; v && i < n; i++)
        for (int j = 0; j < n; j++)
            v[(size_t)i * n + j] = i == j;
    int sweep = 0;
    while (sweep < JACOBI_MAX_SWEEPS && off_diagonal_sq(a, n) > 1e-30 * norm) {
        jacobi_sweep(a, v, n);
        sweep++;
    }
    if (sweep == JACOBI_MAX_SWEEPS)
        return drift_fail(DRIFT_ERR_NUMERIC, "drift_sym_eigen: no convergence after %d sweeps (n = %d)",
                          sweep, n);
    for (int i = 0; i < n; i++)
        w[i] = a[(size_t)i * n + i];
    return sort_eigen(w, v, n);
}

drift_status drift_gaussian_fit(const float *x, int n, int dim, double *mu, double *cov)
{
    if (n < 2 || dim < 1 || dim > FRECHET_MAX_DIM)
        return drift_fail(DRIFT_ERR_ARG, "drift_gaussian_fit: needs >= 2 samples (got %d) of dimension 1..%d "
                          "(got %d)", n, FRECHET_MAX_DIM, dim);
    double *d = malloc((size_t)dim * sizeof *d);
    if (!d)
        return drift_fail(DRIFT_ERR_NOMEM, "drift_gaussian_fit: out of memory");
    memset(mu, 0, (size_t)dim * sizeof *mu);
    memset(cov, 0, (size_t)dim * dim * sizeof *cov);
    for (int r = 0; r < n; r++)
        for (int i = 0; i < dim; i++)
            mu[i] += x[(size_t)r * dim + i];
    for (int i = 0; i < dim; i++)
        mu[i] /= n;
    for (int r = 0; r < n; r++) { /* upper triangle of sum of outer products */
        for (int i = 0; i < dim; i++)
            d[i] = x[(size_t)r * dim + i] - mu[i];
        for (int i = 0; i < dim; i++)
            for (int j = i; j < dim; j++)
                cov[(size_t)i * dim + j] += d[i] * d[j];
    }
    for (int i = 0; i < dim; i++)
        for (int j = i; j < dim; j++)
            cov[(size_t)j * dim + i] = cov[(size_t)i * dim + j] /= n - 1;
    free(d);
    return DRIFT_OK;
}

/* out = a b for (n, n) matrices. */
static void matmul(const double *a, const double *b, int n, double *out)
{
    memset(out, 0, (size_t)n * n * sizeof *out);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double aik = a[(size_t)i * n + k];
            for (int j = 0; j < n; j++)
                out[(size_t)i * n + j] += aik * b[(size_t)k * n + j];
        }
}

/* out = V diag(sqrt(max(w, 0))) V^T: the square root of a PSD matrix. */
static void sqrt_from_eigen(const double *w, const double *v, int n, double *out)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++)
                s += v[(size_t)i * n + k] * sqrt(fmax(w[k], 0)) * v[(size_t)j * n + k];
            out[(size_t)i * n + j] = s;
        }
}

/* tr(sqrt(A^1/2 B A^1/2)) for symmetric PSD a, b. */
static drift_status trace_sqrt_product(const double *a, const double *b, int n, double *out)
{
    size_t nn = (size_t)n * n;
    double *buf = malloc((4 * nn + n) * sizeof *buf);
    if (!buf)
        return drift_fail(DRIFT_ERR_NOMEM, "Frechet distance: out of memory for dimension %d", n);
    double *work = buf, *v = work + nn, *root = v + nn, *tmp = root + nn, *w = tmp + nn;
    memcpy(work, a, nn * sizeof *work);
    drift_status s = drift_sym_eigen(work, n, w, v);
    if (!s) {
        sqrt_from_eigen(w, v, n, root);
        matmul(root, b, n, tmp);
        matmul(tmp, root, n, work);
        for (int i = 0; i < n; i++) /* symmetrise against rounding */
            for (int j = i + 1; j < n; j++)
                work[(size_t)i * n + j] = work[(size_t)j * n + i] =
                    0.5 * (work[(size_t)i * n + j] + work[(size_t)j * n + i]);
        s = drift_sym_eigen(work, n, w, NULL);
    }
    double t = 0;
    for (int i = 0; !s && i < n; i++)
        t += sqrt(fmax(w[i], 0));
    free(buf);
    *out = t;
    return s;
}

drift_status drift_frechet_gaussians(const double *mu_a, const double *cov_a, const double *mu_b,
                                     const double *cov_b, int dim, double *out)
{
    if (dim < 1 || dim > FRECHET_MAX_DIM)
        return drift_fail(DRIFT_ERR_ARG, "Frechet distance: dimension %d is not in [1, %d]", dim,
                          FRECHET_MAX_DIM);
    double tr_root = 0;
    drift_status s = trace_sqrt_product(cov_a, cov_b, dim, &tr_root);
    if (s)
        return s;
    double d = -2 * tr_root;
    for (int i = 0; i < dim; i++)
        d += (mu_a[i] - mu_b[i]) * (mu_a[i] - mu_b[i]) + cov_a[(size_t)i * dim + i] +
             cov_b[(size_t)i * dim + i];
    *out = d;
    return DRIFT_OK;
}

drift_status drift_frechet_distance(const float *a, int na, const float *b, int nb, int dim,
                                    double *out)
{
    if (dim < 1 || dim > FRECHET_MAX_DIM || na < 2 || nb < 2)
        return drift_fail(DRIFT_ERR_ARG, "Frechet distance needs >= 2 samples per set (got %d and %d) "
                          "of dimension 1..%d (got %d)", na, nb, FRECHET_MAX_DIM, dim);
    size_t nn = (size_t)dim * dim;
    double *buf = malloc((2 * nn + 2 * (size_t)dim) * sizeof *buf);
    if (!buf)
        return drift_fail(DRIFT_ERR_NOMEM, "Frechet distance: out of memory for dimension %d", dim);
    double *ca = buf, *cb = ca + nn, *ma = cb + nn, *mb = ma + dim;
    drift_status s = drift_gaussian_fit(a, na, dim, ma, ca);
    if (!s)
        s = drift_gaussian_fit(b, nb, dim, mb, cb);
    if (!s)
        s = drift_frechet_gaussians(ma, ca, mb, cb, dim, out);
    free(buf);
    return s;
}
