/* blas.h: matrix multiplication, as fast as the CPU allows.
 *
 * drift loads OpenBLAS at run time rather than at link time, so that it can
 * choose the kernels before the library initialises: Debian's OpenBLAS
 * 0.3.21 does not recognise recent Xeons and falls back to slow generic
 * kernels. drift reads the CPU's features (cpuid, and which vector
 * registers the OS saves), asks OpenBLAS for the matching kernels, checks
 * the result of every transpose combination against a double-precision
 * reference, and falls back to OpenBLAS's own choice, then to a built-in
 * kernel, if a check fails. A user's OPENBLAS_CORETYPE is respected.
 * Inside a host process that already loaded OpenBLAS, drift loads a
 * private copy in its own link-map namespace when the host's copy has
 * slower kernels. drift_blas_describe() says what was chosen. */
#ifndef DRIFT_BLAS_H
#define DRIFT_BLAS_H

#include <stdbool.h>

#include "status.h"

/* Idempotent and thread-safe; drift_sgemm calls it on first use. */
drift_status drift_blas_init(void);

/* One line: library, kernels, why, threads, verification. */
const char *drift_blas_describe(void);

/* The kernel family in use, e.g. "SkylakeX", or "builtin". */
const char *drift_blas_kernels(void);

void drift_blas_set_threads(int n);

/* Row-major C[M,N] = alpha * op(A)[M,K] op(B)[K,N] + beta * C.
 * op(A) is A (lda >= K) or A^T stored as [K,M] (lda >= M); likewise B. */
void drift_sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* The built-in kernel, always available; used for fallback and tests. */
void drift_sgemm_builtin(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc);

#endif
