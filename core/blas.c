/* blas.c: run-time loading, kernel choice and verification of OpenBLAS
 * (see blas.h). */
#define _GNU_SOURCE
#include "blas.h"
#include "threads.h"

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define DRIFT_X86 1
#endif

#ifndef DRIFT_OPENBLAS_SONAME
#define DRIFT_OPENBLAS_SONAME "libopenblas.so.0"
#endif

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

typedef void (*sgemm_fn)(int order, int ta, int tb, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc);
typedef void (*set_threads_fn)(int n);
typedef char *(*corename_fn)(void);
typedef char *(*config_fn)(void);

static struct {
    pthread_once_t once;
    void *lib;
    sgemm_fn sgemm;
    set_threads_fn set_threads;
    char kernels[64];
    char describe[512];
    int threads;
} blas = {.once = PTHREAD_ONCE_INIT};

/* ---- CPU features ---------------------------------------------------- */

/* The OpenBLAS core name that suits this CPU, or NULL to let it decide. */
static const char *preferred_coretype(void)
{
#ifdef DRIFT_X86
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return NULL;
    bool osxsave = c & (1u << 27), avx = c & (1u << 28), fma = c & (1u << 12);
    if (!osxsave || !avx)
        return NULL;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    bool os_avx = (xcr0_lo & 0x6) == 0x6;
    bool os_avx512 = (xcr0_lo & 0xe6) == 0xe6;
    if (!os_avx)
        return NULL;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return "Sandybridge";
    bool avx2 = b & (1u << 5);
    bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17);
    bool avx512bw = b & (1u << 30), avx512vl = b & (1u << 31);
    if (os_avx512 && avx512f && avx512dq && avx512bw && avx512vl)
        return "SkylakeX";
    if (avx2 && fma)
        return "Haswell";
    return "Sandybridge";
#else
    return NULL;
#endif
}

/* ---- the built-in kernel --------------------------------------------- */

static inline float elem(const float *m, bool trans, int ld, int row, int col)
{
    return trans ? m[(size_t)col * ld + row] : m[(size_t)row * ld + col];
}

void drift_sgemm_builtin(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc)
{
    for (int i = 0; i < m; i++) {
        float *ci = c + (size_t)i * ldc;
        for (int j = 0; j < n; j++)
            ci[j] = beta == 0.0f ? 0.0f : beta * ci[j];
        for (int p = 0; p < k; p++) {
            float aip = alpha * elem(a, trans_a, lda, i, p);
            if (!trans_b) {
                const float *bp = b + (size_t)p * ldb;
                for (int j = 0; j < n; j++)
                    ci[j] += aip * bp[j];
            } else {
                for (int j = 0; j < n; j++)
                    ci[j] += aip * b[(size_t)j * ldb + p];
            }
        }
    }
}

/* ---- verification ---------------------------------------------------- */

/* Checks all four transpose combinations on odd sizes against a double
 * reference; true if every element is within float rounding. */
static bool gemm_is_correct(sgemm_fn f)
{
    enum { M = 37, N = 29, K = 53 };
    static float a[M * K], b[K * N], c[M * N];
    unsigned s = 12345;
    for (int i = 0; i < M * K; i++)
        a[i] = (float)((s = s * 1103515245u + 12345u) >> 9) / 8388608.0f - 1.0f;
    for (int i = 0; i < K * N; i++)
        b[i] = (float)((s = s * 1103515245u + 12345u) >> 9) / 8388608.0f - 1.0f;
    for (int combo = 0; combo < 4; combo++) {
        bool ta = combo & 1, tb = combo & 2;
        int lda = ta ? M : K, ldb = tb ? K : N;
        for (int i = 0; i < M * N; i++)
            c[i] = 0.5f;
        f(CBLAS_ROW_MAJOR, ta ? CBLAS_TRANS : CBLAS_NO_TRANS, tb ? CBLAS_TRANS : CBLAS_NO_TRANS, M,
          N, K, 1.5f, a, lda, b, ldb, 0.25f, c, N);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double ref = 0.25 * 0.5, mag = 0.125;
                for (int p = 0; p < K; p++) {
                    double t = 1.5 * elem(a, ta, lda, i, p) * elem(b, tb, ldb, p, j);
                    ref += t;
                    mag += fabs(t);
                }
                if (!(fabs(c[i * N + j] - ref) <= 1e-5 * mag))
                    return false;
            }
    }
    return true;
}

/* ---- loading --------------------------------------------------------- */

static void *open_openblas(const char *coretype, bool private_namespace)
{
    const char *user = getenv("OPENBLAS_CORETYPE");
    char *saved = user ? strdup(user) : NULL;
    if (coretype)
        setenv("OPENBLAS_CORETYPE", coretype, 1);
    void *lib = private_namespace ? dlmopen(LM_ID_NEWLM, DRIFT_OPENBLAS_SONAME, RTLD_NOW | RTLD_LOCAL)
                                  : dlopen(DRIFT_OPENBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (coretype) { /* leave the process environment as it was */
        if (saved)
            setenv("OPENBLAS_CORETYPE", saved, 1);
        else
            unsetenv("OPENBLAS_CORETYPE");
    }
    free(saved);
    return lib;
}

static bool adopt(void *lib, const char *why)
{
    sgemm_fn f = (sgemm_fn)(void (*)(void))dlsym(lib, "cblas_sgemm");
    corename_fn core = (corename_fn)(void (*)(void))dlsym(lib, "openblas_get_corename");
    config_fn config = (config_fn)(void (*)(void))dlsym(lib, "openblas_get_config");
    if (!f)
        return false;
    set_threads_fn st = (set_threads_fn)(void (*)(void))dlsym(lib, "openblas_set_num_threads");
    if (st)
        st(1); /* verify single-threaded; the real count is set below */
    if (!gemm_is_correct(f))
        return false;
    blas.lib = lib;
    blas.sgemm = f;
    blas.set_threads = st;
    snprintf(blas.kernels, sizeof blas.kernels, "%s", core ? core() : "unknown");
    snprintf(blas.describe, sizeof blas.describe, "OpenBLAS (%s), kernels %s (%s), results verified",
             config ? config() : DRIFT_OPENBLAS_SONAME, blas.kernels, why);
    return true;
}

static bool same_kernels(void *lib, const char *want)
{
    corename_fn core = (corename_fn)(void (*)(void))dlsym(lib, "openblas_get_corename");
    return core && want && strcasecmp(core(), want) == 0;
}

static void init_once(void)
{
    const char *user = getenv("OPENBLAS_CORETYPE");
    const char *want = user ? NULL : preferred_coretype();
    void *already = dlopen(DRIFT_OPENBLAS_SONAME, RTLD_NOW | RTLD_NOLOAD);
    bool ok = false;
    char why[160];

    if (user) {
        snprintf(why, sizeof why, "OPENBLAS_CORETYPE=%s set by the user", user);
        void *lib = open_openblas(NULL, false);
        ok = lib && adopt(lib, why);
    } else if (already && !same_kernels(already, want)) {
        /* A host loaded OpenBLAS with other kernels: use a private copy. */
        snprintf(why, sizeof why, "chosen from cpuid, private copy beside the host's");
        void *lib = want ? open_openblas(want, true) : NULL;
        ok = lib && adopt(lib, why);
        if (!ok)
            ok = adopt(already, "the host process's copy");
    } else {
        snprintf(why, sizeof why, want ? "chosen from cpuid" : "OpenBLAS's own choice");
        void *lib = open_openblas(want, false);
        ok = lib && adopt(lib, why);
        if (!ok && want) { /* the forced kernels failed the check */
            snprintf(why, sizeof why, "OpenBLAS's own choice; %s failed verification", want);
            lib = open_openblas(NULL, true);
            ok = lib && adopt(lib, why);
        }
    }
    if (already)
        dlclose(already);
    if (!ok) {
        blas.sgemm = NULL;
        snprintf(blas.kernels, sizeof blas.kernels, "builtin");
        snprintf(blas.describe, sizeof blas.describe,
                 "built-in kernel (%s could not be loaded or failed verification)",
                 DRIFT_OPENBLAS_SONAME);
    }
    blas.threads = drift_get_threads();
    if (blas.set_threads)
        blas.set_threads(1); /* drift's own threads split the work (drift_sgemm) */
}

drift_status drift_blas_init(void)
{
    pthread_once(&blas.once, init_once);
    return DRIFT_OK;
}

const char *drift_blas_describe(void)
{
    drift_blas_init();
    return blas.describe;
}

const char *drift_blas_kernels(void)
{
    drift_blas_init();
    return blas.kernels;
}

void drift_blas_set_threads(int n)
{
    drift_blas_init();
    blas.threads = n; /* drift splits big products over its own threads */
}

/* A product split into column (or row) blocks, one per drift thread; each
 * block is one single-threaded OpenBLAS call. drift's threads are the only
 * ones, so nothing spins or oversubscribes the cores, and every element is
 * computed by the same kernel with the same summation order whatever the
 * split. */
typedef struct {
    bool ta, tb, by_rows;
    int m, n, k, lda, ldb, ldc;
    float alpha, beta;
    const float *a, *b;
    float *c;
    size_t unit; /* columns (or rows) per part are a multiple of this */
} gemm_job;

static void gemm_part(void *ctx, size_t begin, size_t end)
{
    const gemm_job *j = ctx;
    int lo = (int)(begin * j->unit), hi = (int)(end * j->unit);
    if (j->by_rows) {
        hi = hi < j->m ? hi : j->m;
        const float *a = j->ta ? j->a + lo : j->a + (size_t)lo * j->lda;
        blas.sgemm(CBLAS_ROW_MAJOR, j->ta ? CBLAS_TRANS : CBLAS_NO_TRANS, j->tb ? CBLAS_TRANS : CBLAS_NO_TRANS,
                   hi - lo, j->n, j->k, j->alpha, a, j->lda, j->b, j->ldb, j->beta, j->c + (size_t)lo * j->ldc, j->ldc);
    } else {
        hi = hi < j->n ? hi : j->n;
        const float *b = j->tb ? j->b + (size_t)lo * j->ldb : j->b + lo;
        blas.sgemm(CBLAS_ROW_MAJOR, j->ta ? CBLAS_TRANS : CBLAS_NO_TRANS, j->tb ? CBLAS_TRANS : CBLAS_NO_TRANS,
                   j->m, hi - lo, j->k, j->alpha, j->a, j->lda, b, j->ldb, j->beta, j->c + lo, j->ldc);
    }
}

void drift_sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    drift_blas_init();
    if (!blas.sgemm || k <= 0) {
        drift_sgemm_builtin(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    double flops = 2.0 * m * n * (double)k;
    int threads = blas.threads > 0 ? blas.threads : 1;
    if (threads == 1 || flops < 4e6) {
        blas.sgemm(CBLAS_ROW_MAJOR, trans_a ? CBLAS_TRANS : CBLAS_NO_TRANS, trans_b ? CBLAS_TRANS : CBLAS_NO_TRANS,
                   m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    gemm_job j = {trans_a, trans_b, false, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, 64};
    if (n < 64 * threads && m >= n) {
        j.by_rows = true;
        j.unit = 16;
    }
    size_t extent = (size_t)(j.by_rows ? m : n), units = (extent + j.unit - 1) / j.unit;
    drift_parallel_for(units, 1, gemm_part, &j);
}
