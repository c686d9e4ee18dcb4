/* bench_unet.c: the ref U-Net's speed: forward at a batch size, or a full
 * training step (forward, MSE, backward, AdamW). One measurement per
 * process so peak memory is the measurement's own.
 * usage: bench_unet DIMS fwd|train BATCH RUNS
 * prints: median_ms peak_rss_mb gflops_per_s */
#include "bench_clock.h"
#include "drift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench_unet DIMS fwd|train BATCH RUNS\n");
        return 2;
    }
    int dims = atoi(argv[1]), batch = atoi(argv[3]), runs = atoi(argv[4]);
    bool train = strcmp(argv[2], "train") == 0;
    drift_unet_config cfg = drift_unet_ref_config(dims, dims == 2 ? 1 : 80);
    drift_unet *u;
    if (drift_unet_create(&cfg, 0, &u) != DRIFT_OK) {
        fprintf(stderr, "%s\n", drift_last_error());
        return 1;
    }
    int shape[4] = {batch, cfg.in_channels, dims == 2 ? 32 : 128, 32};
    size_t n = (size_t)batch * cfg.in_channels * (dims == 2 ? 32 * 32 : 128);
    float *x = malloc(n * sizeof(float)), *target = malloc(n * sizeof(float));
    float *t = malloc(batch * sizeof(float));
    drift_rng rng;
    drift_rng_init(&rng, 1, 0);
    drift_rng_normal(&rng, x, n);
    drift_rng_normal(&rng, target, n);
    for (int i = 0; i < batch; i++)
        t[i] = (float)(i * 37 % 1000);
    drift_params *p = drift_unet_params(u);
    drift_adamw_config ac = drift_adamw_defaults();
    drift_adamw *opt = train ? drift_adamw_create(p, &ac) : NULL;
    drift_graph *g = drift_graph_create();
    drift_graph_set_grad(g, train);
    double *ms = malloc(sizeof(double) * (runs + 2));
    for (int r = 0; r < runs + 2; r++) { /* two warm-up runs */
        double t0 = bench_now();
        drift_graph_reset(g);
        drift_tensor *xt = drift_graph_wrap(g, x, dims + 2, shape);
        drift_tensor *y = drift_unet_forward(g, u, xt, t, NULL, NULL);
        if (train) {
            drift_params_zero_grad(p);
            drift_tensor *loss = drift_mse(g, y, drift_graph_wrap(g, target, dims + 2, shape), NULL);
            drift_graph_backward(g, loss);
            drift_adamw_step(opt, 1e-4f);
        }
        if (drift_graph_status(g) != DRIFT_OK) {
            fprintf(stderr, "%s\n", drift_graph_error(g));
            return 1;
        }
        if (r >= 2)
            ms[r - 2] = (bench_now() - t0) * 1e3;
    }
    bench_sort(ms, (size_t)runs);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    int spatial[2] = {shape[2], shape[3]};
    double flops = drift_unet_flops(&cfg, spatial) * batch * (train ? 3 : 1);
    printf("%.2f %.0f %.1f\n", ms[runs / 2], ru.ru_maxrss / 1024.0, flops / (ms[runs / 2] * 1e-3) * 1e-9);
    return 0;
}
