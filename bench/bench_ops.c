/* bench_ops.c: each operator's forward + backward time at the ref U-Net's
 * sizes (batch 32), median of runs, in milliseconds. bench/run_ops.sh runs
 * the PyTorch peer (bench/bench_ops.py) on the same shapes and prints the
 * table with ratios. usage: bench_ops [RUNS] */
#include "bench_clock.h"
#include "drift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAXIN = 4 };

typedef struct {
    const char *name;
    int n_in;
    int ndim[MAXIN];
    int shape[MAXIN][4];
    drift_tensor *(*run)(drift_graph *g, drift_tensor **in);
} op_case;

static drift_tensor *conv_s1(drift_graph *g, drift_tensor **in) { return drift_conv(g, in[0], in[1], in[2], 1, 1); }
static drift_tensor *conv_s2(drift_graph *g, drift_tensor **in) { return drift_conv(g, in[0], in[1], in[2], 2, 1); }
static drift_tensor *conv_1x1(drift_graph *g, drift_tensor **in) { return drift_conv(g, in[0], in[1], in[2], 1, 0); }
static drift_tensor *linear(drift_graph *g, drift_tensor **in) { return drift_linear(g, in[0], in[1], in[2]); }
static drift_tensor *gnorm(drift_graph *g, drift_tensor **in) { return drift_group_norm(g, in[0], in[1], in[2], 8, 1e-5f); }
static drift_tensor *silu(drift_graph *g, drift_tensor **in) { return drift_silu(g, in[0]); }
static drift_tensor *addc(drift_graph *g, drift_tensor **in) { return drift_add_channel(g, in[0], in[1]); }
static drift_tensor *up2(drift_graph *g, drift_tensor **in) { return drift_upsample2x(g, in[0]); }
static drift_tensor *cat(drift_graph *g, drift_tensor **in) { return drift_concat_channels(g, in[0], in[1]); }
static drift_tensor *attn(drift_graph *g, drift_tensor **in) { return drift_attention(g, in[0], in[1], in[2], 1, NULL); }
static drift_tensor *mse(drift_graph *g, drift_tensor **in) { return drift_mse(g, in[0], in[1], NULL); }

static const op_case cases[] = {
    {"conv3x3 32->32 @32x32", 3, {4, 4, 1}, {{32, 32, 32, 32}, {32, 32, 3, 3}, {32}}, conv_s1},
    {"conv3x3 64->64 @16x16", 3, {4, 4, 1}, {{32, 64, 16, 16}, {64, 64, 3, 3}, {64}}, conv_s1},
    {"conv3x3 128->128 @8x8", 3, {4, 4, 1}, {{32, 128, 8, 8}, {128, 128, 3, 3}, {128}}, conv_s1},
    {"conv3x3/2 32->32 @32x32", 3, {4, 4, 1}, {{32, 32, 32, 32}, {32, 32, 3, 3}, {32}}, conv_s2},
    {"conv1x1 96->64 @16x16", 3, {4, 4, 1}, {{32, 96, 16, 16}, {64, 96, 1, 1}, {64}}, conv_1x1},
    {"conv1d k3 80->32 @128", 3, {3, 3, 1}, {{32, 80, 128}, {32, 80, 3}, {32}}, conv_s1},
    {"linear 128->384 (32x64 tokens)", 3, {3, 2, 1}, {{32, 64, 128}, {384, 128}, {384}}, linear},
    {"group_norm(8) 32 @32x32", 3, {4, 1, 1}, {{32, 32, 32, 32}, {32}, {32}}, gnorm},
    {"silu 32 @32x32", 1, {4}, {{32, 32, 32, 32}}, silu},
    {"add_channel 32 @32x32", 2, {4, 2}, {{32, 32, 32, 32}, {32, 32}}, addc},
    {"upsample2x 64 @16x16", 1, {4}, {{32, 64, 16, 16}}, up2},
    {"concat 32+32 @32x32", 2, {4, 4}, {{32, 32, 32, 32}, {32, 32, 32, 32}}, cat},
    {"attention 64 tokens x 128", 3, {3, 3, 3}, {{32, 64, 128}, {32, 64, 128}, {32, 64, 128}}, attn},
    {"mse 32x1x32x32", 2, {4, 4}, {{32, 1, 32, 32}, {32, 1, 32, 32}}, mse},
};

static double time_case(const op_case *c, int runs)
{
    drift_graph *g = drift_graph_create();
    float *data[MAXIN], *grad[MAXIN];
    drift_rng r;
    drift_rng_init(&r, 1, 0);
    size_t numel[MAXIN];
    for (int i = 0; i < c->n_in; i++) {
        numel[i] = 1;
        for (int d = 0; d < c->ndim[i]; d++)
            numel[i] *= (size_t)c->shape[i][d];
        data[i] = malloc(numel[i] * sizeof(float));
        grad[i] = calloc(numel[i], sizeof(float));
        drift_rng_normal(&r, data[i], numel[i]);
    }
    double *t = malloc(sizeof(double) * (runs + 2));
    for (int run = 0; run < runs + 2; run++) {
        drift_graph_reset(g);
        drift_tensor *in[MAXIN];
        for (int i = 0; i < c->n_in; i++) {
            in[i] = drift_graph_wrap(g, data[i], c->ndim[i], c->shape[i]);
            in[i]->grad = grad[i];
            in[i]->flags |= DRIFT_T_NEEDS_GRAD | DRIFT_T_PARAM;
        }
        double t0 = bench_now();
        drift_tensor *y = c->run(g, in);
        float *gy = y ? drift_grad(g, y) : NULL;
        if (gy)
            for (size_t i = 0; i < y->numel; i++)
                gy[i] = 1.0f;
        drift_graph_backward_from(g, y);
        if (run >= 2)
            t[run - 2] = (bench_now() - t0) * 1e3;
        if (drift_graph_status(g) != DRIFT_OK) {
            fprintf(stderr, "%s: %s\n", c->name, drift_graph_error(g));
            exit(1);
        }
    }
    bench_sort(t, (size_t)runs);
    double med = t[runs / 2];
    free(t);
    for (int i = 0; i < c->n_in; i++) {
        free(data[i]);
        free(grad[i]);
    }
    drift_graph_free(g);
    return med;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 9;
    if (runs < 1)
        runs = 1;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        printf("%s\t%.3f\n", cases[i].name, time_case(&cases[i], runs));
    return 0;
}
