/* test_foundation.c: the engine's base layer: errors, RNG, arena, threads,
 * BLAS and the graph's backward walk. */
#include "drift.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_status(void)
{
    drift_status s = drift_fail(DRIFT_ERR_ARG, "steps must be > 0, got %d", -3);
    CHECK(s == DRIFT_ERR_ARG, "status passed through");
    CHECK(strcmp(drift_last_error(), "steps must be > 0, got -3") == 0, "message '%s'", drift_last_error());
    CHECK(strcmp(drift_status_name(DRIFT_ERR_NOMEM), "out of memory") == 0, "status name");
}

static void test_rng(void)
{
    /* Philox4x32-10 known-answer test from the Random123 distribution:
     * counter 0, key 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8. */
    uint32_t b[4];
    drift_philox_block(0, 0, 0, b);
    CHECK(b[0] == 0x6627e8d5u && b[1] == 0xe169c58du && b[2] == 0xbc57ac4cu && b[3] == 0x9b00dbd8u,
          "philox kat: %08x %08x %08x %08x", b[0], b[1], b[2], b[3]);

    /* The vectorised blocks are the scalar ones, for any count and offset. */
    uint32_t many[4 * 37];
    drift_philox_blocks(7, 3, 1000, 37, many);
    int same = 1;
    for (int i = 0; i < 37; i++) {
        drift_philox_block(7, 3, 1000 + (uint64_t)i, b);
        same &= memcmp(b, many + 4 * i, sizeof b) == 0;
    }
    CHECK(same, "drift_philox_blocks equals drift_philox_block block by block");

    enum { N = 200000 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    drift_rng r;
    drift_rng_init(&r, 42, 0);
    drift_rng_normal(&r, x, N);
    double m = 0, v = 0, k4 = 0;
    for (int i = 0; i < N; i++)
        m += x[i];
    m /= N;
    for (int i = 0; i < N; i++) {
        v += (x[i] - m) * (x[i] - m);
        k4 += pow(x[i] - m, 4);
    }
    v /= N;
    k4 /= N * v * v;
    CHECK(fabs(m) < 0.01 && fabs(v - 1) < 0.02 && fabs(k4 - 3) < 0.1, "normal moments %g %g %g", m, v, k4);

    /* Split fills give the same numbers as one fill. */
    drift_rng a, c;
    drift_rng_init(&a, 7, 3);
    drift_rng_init(&c, 7, 3);
    drift_rng_normal(&a, x, 1000);
    drift_rng_normal(&c, y, 400);
    drift_rng_normal(&c, y + 400, 600);
    CHECK(memcmp(x, y, 1000 * sizeof *x) == 0, "split fill matches");
    drift_rng_init(&c, 8, 3);
    drift_rng_normal(&c, y, 1000);
    CHECK(memcmp(x, y, 1000 * sizeof *x) != 0, "another seed differs");

    uint32_t idx[100];
    for (uint32_t i = 0; i < 100; i++)
        idx[i] = i;
    drift_rng_shuffle(&a, idx, 100);
    unsigned long sum = 0;
    int moved = 0;
    for (uint32_t i = 0; i < 100; i++) {
        sum += idx[i];
        moved += idx[i] != i;
    }
    CHECK(sum == 4950 && moved > 80, "shuffle is a permutation that moves things");
    free(x);
    free(y);
}

static void test_arena(void)
{
    drift_arena a;
    drift_arena_init(&a);
    for (int step = 0; step < 4; step++) {
        for (int i = 0; i < 50; i++) {
            float *p = drift_arena_alloc(&a, 100000 + (size_t)i);
            CHECK(p && ((uintptr_t)p % 64) == 0, "aligned allocation");
            p[0] = 1;
        }
        if (step == 1)
            CHECK(a.system_allocs > 0, "first steps allocate");
        size_t before = a.system_allocs;
        drift_arena_reset(&a);
        if (step >= 1) {
            size_t after_reset = a.system_allocs;
            (void)before;
            for (int i = 0; i < 50; i++)
                drift_arena_alloc(&a, 100000 + (size_t)i);
            CHECK(a.system_allocs == after_reset, "steady state allocates nothing (step %d)", step);
            drift_arena_reset(&a);
        }
    }
    drift_arena_free(&a);
}

typedef struct {
    double *partial;
    const float *x;
    size_t chunk;
} sum_ctx;

static void sum_range(void *p, size_t begin, size_t end)
{
    sum_ctx *c = p;
    for (size_t i = begin; i < end; i++)
        c->partial[i / c->chunk] += c->x[i];
}

static void test_threads(void)
{
    enum { N = 1 << 20 };
    float *x = malloc(N * sizeof *x);
    for (int i = 0; i < N; i++)
        x[i] = (float)(i % 7);
    double partial[1024] = {0};
    sum_ctx c = {partial, x, N / 1024};
    drift_set_threads(2);
    drift_parallel_for(N, 4096, sum_range, &c);
    double total = 0;
    for (int i = 0; i < 1024; i++)
        total += partial[i];
    double want = 0;
    for (int i = 0; i < N; i++)
        want += x[i];
    CHECK(total == want, "parallel sum %g vs %g", total, want);
    free(x);
}

static void test_blas(void)
{
    printf("blas: %s\n", drift_blas_describe());
    CHECK(strlen(drift_blas_kernels()) > 0, "kernels named");
    /* Compare against the built-in kernel on a few awkward shapes, with
     * every transpose combination, on 1 and 2 threads. */
    int sizes[][3] = {{1, 1, 1}, {7, 300, 5}, {64, 1000, 288}, {129, 65, 257}};
    for (int threads = 1; threads <= 2; threads++) {
        drift_set_threads(threads);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            int m = sizes[s][0], n = sizes[s][1], k = sizes[s][2];
            float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
            float *c1 = malloc(sizeof(float) * m * n), *c2 = malloc(sizeof(float) * m * n);
            drift_rng r;
            drift_rng_init(&r, 1, (uint64_t)s);
            drift_rng_normal(&r, a, (size_t)m * k);
            drift_rng_normal(&r, b, (size_t)k * n);
            for (int combo = 0; combo < 4; combo++) {
                bool ta = combo & 1, tb = combo & 2;
                drift_rng_normal(&r, c1, (size_t)m * n);
                memcpy(c2, c1, sizeof(float) * m * n);
                drift_sgemm(ta, tb, m, n, k, 0.7f, a, ta ? m : k, b, tb ? k : n, 0.3f, c1, n);
                drift_sgemm_builtin(ta, tb, m, n, k, 0.7f, a, ta ? m : k, b, tb ? k : n, 0.3f, c2, n);
                double err = rel_error(c1, c2, (size_t)m * n, 1.0);
                CHECK(err < 1e-5, "sgemm %dx%dx%d ta=%d tb=%d threads=%d err %g", m, n, k, ta, tb,
                      threads, err);
            }
            free(a); free(b); free(c1); free(c2);
        }
    }
}

/* A hand-written operator, y = x*x, to exercise recording and backward. */
static void square_backward(drift_graph *g, const drift_node *node)
{
    drift_tensor *x = node->in[0];
    float *gx = drift_grad(g, x);
    for (size_t i = 0; i < x->numel; i++)
        gx[i] += 2 * x->data[i] * node->out->grad[i];
}

static drift_tensor *square_sum(drift_graph *g, drift_tensor *x)
{
    DRIFT_CHECK_INPUTS(g, x);
    int one = 1;
    drift_tensor *sq = drift_graph_tensor(g, x->ndim, x->shape);
    for (size_t i = 0; i < x->numel; i++)
        sq->data[i] = x->data[i] * x->data[i];
    drift_graph_record(g, square_backward, sq, 1, &x);
    (void)one;
    return sq;
}

static void sum_backward(drift_graph *g, const drift_node *node)
{
    float *gx = drift_grad(g, node->in[0]);
    for (size_t i = 0; i < node->in[0]->numel; i++)
        gx[i] += node->out->grad[0];
}

static drift_tensor *sum_all(drift_graph *g, drift_tensor *x)
{
    DRIFT_CHECK_INPUTS(g, x);
    int one = 1;
    drift_tensor *s = drift_graph_tensor(g, 1, &one);
    s->data[0] = 0;
    for (size_t i = 0; i < x->numel; i++)
        s->data[0] += x->data[i];
    drift_graph_record(g, sum_backward, s, 1, &x);
    return s;
}

static void test_graph(void)
{
    drift_graph *g = drift_graph_create();
    float data[6] = {1, -2, 3, 0.5f, 0, 4}, grad[6];
    int shape[2] = {2, 3};
    size_t allocs = 0;
    for (int step = 0; step < 3; step++) {
        drift_graph_reset(g);
        memset(grad, 0, sizeof grad);
        drift_tensor *x = drift_graph_wrap(g, data, 2, shape);
        x->grad = grad;
        x->flags |= DRIFT_T_NEEDS_GRAD | DRIFT_T_PARAM;
        drift_tensor *loss = sum_all(g, square_sum(g, x));
        CHECK(drift_graph_backward(g, loss) == DRIFT_OK, "backward: %s", drift_graph_error(g));
        for (int i = 0; i < 6; i++)
            CHECK(grad[i] == 2 * data[i], "d/dx sum x^2 at %d", i);
        if (step == 1)
            allocs = drift_graph_system_allocs(g);
        if (step == 2)
            CHECK(drift_graph_system_allocs(g) == allocs, "steady-state graph allocates nothing");
    }
    /* Sticky errors: a bad shape fails once and NULLs propagate. */
    drift_graph_reset(g);
    int bad[2] = {2, 0};
    drift_tensor *t = drift_graph_tensor(g, 2, bad);
    CHECK(t == NULL && drift_graph_status(g) == DRIFT_ERR_SHAPE, "bad shape rejected");
    CHECK(square_sum(g, t) == NULL, "failed graph returns NULL");
    CHECK(strstr(drift_graph_error(g), "shape") != NULL, "message kept: %s", drift_graph_error(g));
    drift_graph_free(g);
}

int main(void)
{
    test_status();
    test_rng();
    test_arena();
    test_threads();
    test_blas();
    test_graph();
    return test_finish("test_foundation");
}
