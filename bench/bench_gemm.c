/* bench_gemm.c: drift's matrix multiply speed (GFLOP/s) at 256, 1024 and
 * 2048 on 1 and 2 threads; medians of several runs. bench/run_gemm.sh runs
 * it next to PyTorch's matmul on the same machine and prints ratios. */
#include "bench_clock.h"
#include "drift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 7;
    if (runs < 1)
        runs = 1;
    printf("# %s\n", drift_blas_describe());
    printf("size threads gflops\n");
    int sizes[] = {256, 1024, 2048};
    for (int threads = 1; threads <= 2; threads++) {
        drift_set_threads(threads);
        for (int s = 0; s < 3; s++) {
            int n = sizes[s];
            float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n);
            float *c = malloc(sizeof(float) * n * n);
            drift_rng r;
            drift_rng_init(&r, 1, 0);
            drift_rng_normal(&r, a, (size_t)n * n);
            drift_rng_normal(&r, b, (size_t)n * n);
            int reps = n <= 256 ? 200 : (n <= 1024 ? 10 : 2);
            double *gf = malloc(sizeof(double) * runs);
            drift_sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n); /* warm up */
            for (int run = 0; run < runs; run++) {
                double t0 = bench_now();
                for (int i = 0; i < reps; i++)
                    drift_sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
                double dt = (bench_now() - t0) / reps;
                gf[run] = 2.0 * n * n * (double)n / dt * 1e-9;
            }
            bench_sort(gf, (size_t)runs);
            printf("%d %d %.1f\n", n, threads, gf[runs / 2]);
            free(gf); free(a); free(b); free(c);
        }
    }
    return 0;
}
