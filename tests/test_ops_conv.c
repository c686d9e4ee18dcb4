/* test_ops_conv.c: drift_conv and drift_linear against PyTorch golden data
 * (tests/golden/make_ops_conv.py), finite-difference gradient checks, bad
 * shapes, thread-count independence and steady-state memory. */
#include "drift.h"
#include "gradcheck.h"
#include "op_conv.h"
#include "op_linear.h"
#include "conv_cases.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* Golden outputs and gradients must match PyTorch (float64) to this
 * relative error over the whole tensor. */
#define GOLDEN_TOL 1e-4
/* Finite differences in float32: eps 1e-2 on O(1) data, error relative to
 * max(|analytic|, |numeric|, 0.1), at most this. */
#define FD_EPS 1e-2
#define FD_FLOOR 0.1
#define FD_TOL 1e-2

static bool light(void) { return getenv("DRIFT_TEST_LIGHT") != NULL; }

/* ---- golden cases ------------------------------------------------------- */

static const golden_tensor *find(const golden_file *gf, const char *name)
{
    for (int i = 0; i < gf->count; i++)
        if (strcmp(gf->t[i].name, name) == 0)
            return &gf->t[i];
    return NULL;
}

static const golden_tensor *need(const golden_file *gf, const char *c, const char *key)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", c, key);
    return golden_get(gf, name);
}

typedef drift_tensor *(*golden_op)(drift_graph *g, drift_tensor *const *in, const float *args);

static drift_tensor *conv_op(drift_graph *g, drift_tensor *const *in, const float *args)
{
    return drift_conv(g, in[0], in[1], in[2], (int)args[0], (int)args[1]);
}

static drift_tensor *linear_op(drift_graph *g, drift_tensor *const *in, const float *args)
{
    return drift_linear(g, in[0], in[1], in[2]);
}

static bool same_dims(const drift_tensor *t, const golden_tensor *ref)
{
    if (!t || !ref || t->ndim != ref->ndim)
        return false;
    for (int d = 0; d < t->ndim; d++)
        if (t->shape[d] != ref->dims[d])
            return false;
    return true;
}

/* Checks data against scale * ref over the whole tensor. */
static void compare(const char *c, const char *what, const drift_tensor *t, const float *data,
                    const golden_tensor *ref, float scale)
{
    CHECK(same_dims(t, ref), "%s: %s shape", c, what);
    if (!same_dims(t, ref) || !data)
        return;
    float *want = malloc(ref->n * sizeof(float));
    for (size_t i = 0; i < ref->n; i++)
        want[i] = scale * ref->data[i];
    double err = rel_error(data, want, ref->n, 1e-6);
    CHECK(err <= GOLDEN_TOL, "%s: %s rel error %.3g (x%g)", c, what, err, scale);
    free(want);
}

/* Inputs x, w and (if stored) b of case c, wrapped; bit i of grad_mask
 * says whether input i needs a gradient. With `seeded`, gradient buffers
 * start as the reference gradients (to check that backward adds). */
static void wrap_inputs(drift_graph *g, const golden_file *gf, const char *c, unsigned grad_mask,
                        bool seeded, drift_tensor **in, float **seed)
{
    static const char *keys[3] = {"x", "w", "b"}, *gkeys[3] = {"gx", "gw", "gb"};
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.%s", c, keys[i]);
        const golden_tensor *ref = find(gf, name);
        in[i] = ref ? drift_graph_wrap(g, ref->data, ref->ndim, ref->dims) : NULL;
        seed[i] = NULL;
        if (!in[i] || !(grad_mask & (1u << i)))
            continue;
        in[i]->flags |= DRIFT_T_NEEDS_GRAD;
        const golden_tensor *gref = seeded ? need(gf, c, gkeys[i]) : NULL;
        if (gref && gref->n == in[i]->numel) {
            in[i]->grad = seed[i] = malloc(gref->n * sizeof(float));
            memcpy(seed[i], gref->data, gref->n * sizeof(float));
        }
    }
}

/* Runs case c three times: gradients off, on from zero, on from the
 * reference gradients. Checks y, every requested gradient, and that
 * inputs without one got none. */
static void golden_case(const golden_file *gf, const char *c, golden_op op, unsigned grad_mask)
{
    static const char *gkeys[3] = {"gx", "gw", "gb"};
    const golden_tensor *args = need(gf, c, "args"), *gy = need(gf, c, "gy");
    const golden_tensor *y_ref = need(gf, c, "y");
    if (!args || !gy || !y_ref)
        return;
    drift_graph *g = drift_graph_create();
    for (int pass = 0; pass < 3; pass++) {
        drift_graph_reset(g);
        drift_graph_set_grad(g, pass > 0);
        drift_tensor *in[3];
        float *seed[3];
        wrap_inputs(g, gf, c, grad_mask, pass == 2, in, seed);
        drift_tensor *y = op(g, in, args->data);
        CHECK(y && drift_graph_status(g) == DRIFT_OK, "%s: %s", c, drift_graph_error(g));
        float *go = y && pass > 0 ? drift_grad(g, y) : NULL;
        if (y)
            compare(c, pass ? "output (grad on)" : "output (grad off)", y, y->data, y_ref, 1);
        CHECK(pass == 0 || go != NULL, "%s: output needs a gradient", c);
        if (go) {
            memcpy(go, gy->data, gy->n * sizeof(float));
            CHECK(drift_graph_backward_from(g, y) == DRIFT_OK, "%s backward: %s", c,
                  drift_graph_error(g));
            for (int i = 0; i < 3; i++) {
                if (in[i] && (grad_mask & (1u << i)))
                    compare(c, gkeys[i], in[i], in[i]->grad, need(gf, c, gkeys[i]),
                            pass == 2 ? 2.0f : 1.0f);
                else if (in[i])
                    CHECK(in[i]->grad == NULL, "%s: %s computed without being asked", c, gkeys[i]);
            }
        }
        for (int i = 0; i < 3; i++)
            free(seed[i]);
    }
    drift_graph_free(g);
}

static void test_golden(void)
{
    golden_file gf;
    CHECK(golden_load(&gf, test_path("golden/ops_conv.bin")), "golden file loads");
    static const char *linears[] = {"linear_2d", "linear_3d", "linear_4d"};
    for (size_t i = 0; i < N_CONV_CASES; i++) {
        golden_case(&gf, conv_cases[i], conv_op, 7);
        golden_case(&gf, conv_cases[i], conv_op, 2); /* weights only: no dx */
        golden_case(&gf, conv_cases[i], conv_op, 1); /* input only: no dW, db */
    }
    for (size_t i = 0; i < sizeof linears / sizeof *linears; i++) {
        golden_case(&gf, linears[i], linear_op, 7);
        golden_case(&gf, linears[i], linear_op, 5);
    }
    golden_free(&gf);
}

/* ---- finite differences ------------------------------------------------- */

typedef struct conv_spec {
    const char *name;
    int n, cin, cout, h, w, kh, kw, stride, pad; /* h = 0: 1-D */
    bool bias;
} conv_spec;

static drift_tensor *conv_fd(drift_graph *g, drift_tensor **in, void *ctx)
{
    const conv_spec *s = ctx;
    return drift_conv(g, in[0], in[1], s->bias ? in[2] : NULL, s->stride, s->pad);
}

static void fill_input(gradcheck_input *in, int ndim, const int *shape, drift_rng *rng)
{
    in->ndim = ndim;
    size_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= (size_t)(in->shape[d] = shape[d]);
    in->data = malloc(n * sizeof(float));
    drift_rng_normal(rng, in->data, n);
    in->differentiable = true;
}

static void check_fd(const char *name, gradcheck_fn f, void *ctx, int n_in, gradcheck_input *in)
{
    double err = gradcheck(name, f, ctx, n_in, in, FD_EPS, light() ? 12 : 40, FD_FLOOR, FD_TOL);
    CHECK(err <= FD_TOL, "gradcheck %s: worst relative error %.3g", name, err);
    for (int i = 0; i < n_in; i++)
        free(in[i].data);
}

static void test_conv_fd(void)
{
    static const conv_spec specs[] = {
        {"conv1d k3 p1", 2, 3, 4, 0, 9, 1, 3, 1, 1, true},
        {"conv1d k3 s2 even", 2, 2, 3, 0, 10, 1, 3, 2, 1, false},
        {"conv1d k3 s2 odd", 1, 2, 3, 0, 11, 1, 3, 2, 1, true},
        {"conv2d k3 p1 odd", 2, 3, 4, 5, 7, 3, 3, 1, 1, true},
        {"conv2d k3 p1 even", 1, 2, 3, 6, 6, 3, 3, 1, 1, false},
        {"conv2d k3 s2 even", 2, 3, 2, 8, 6, 3, 3, 2, 1, true},
        {"conv2d k3 s2 odd", 1, 2, 3, 7, 5, 3, 3, 2, 1, false},
        {"conv2d k3 p0", 2, 2, 3, 5, 6, 3, 3, 1, 0, true},
        {"conv2d k3 p1 big odd", 1, 2, 3, 33, 33, 3, 3, 1, 1, true},
        {"conv2d k3 p1 big even", 2, 3, 2, 24, 24, 3, 3, 1, 1, false},
        {"conv2d 1x1 n1", 1, 4, 3, 3, 5, 1, 1, 1, 0, true},
        {"conv2d 1x1 n2", 2, 4, 3, 4, 3, 1, 1, 1, 0, false},
    };
    drift_rng rng;
    drift_rng_init(&rng, 11, 0);
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        const conv_spec *s = &specs[i];
        bool two_d = s->h > 0;
        int xs[4] = {s->n, s->cin, two_d ? s->h : s->w, s->w};
        int ws[4] = {s->cout, s->cin, two_d ? s->kh : s->kw, s->kw};
        gradcheck_input in[3];
        fill_input(&in[0], two_d ? 4 : 3, xs, &rng);
        fill_input(&in[1], two_d ? 4 : 3, ws, &rng);
        if (s->bias)
            fill_input(&in[2], 1, &s->cout, &rng);
        check_fd(s->name, conv_fd, (void *)s, s->bias ? 3 : 2, in);
    }
}

static drift_tensor *linear_fd(drift_graph *g, drift_tensor **in, void *ctx)
{
    return drift_linear(g, in[0], in[1], ctx ? in[2] : NULL);
}

static void test_linear_fd(void)
{
    drift_rng rng;
    drift_rng_init(&rng, 12, 0);
    int x2[2] = {5, 7}, x3[3] = {2, 3, 7}, w[2] = {4, 7}, b = 4;
    gradcheck_input in[3];
    fill_input(&in[0], 2, x2, &rng);
    fill_input(&in[1], 2, w, &rng);
    fill_input(&in[2], 1, &b, &rng);
    check_fd("linear 2-D bias", linear_fd, &b, 3, in);
    fill_input(&in[0], 3, x3, &rng);
    fill_input(&in[1], 2, w, &rng);
    check_fd("linear 3-D", linear_fd, NULL, 2, in);
}

/* ---- bad input ---------------------------------------------------------- */

static void expect_failure(drift_graph *g, drift_tensor *out, drift_status code, const char *text)
{
    CHECK(out == NULL, "bad input gives NULL (%s)", text);
    CHECK(drift_graph_status(g) == code, "status %d for '%s'", drift_graph_status(g), text);
    CHECK(strstr(drift_graph_error(g), text) != NULL, "message '%s' mentions '%s'",
          drift_graph_error(g), text);
    drift_graph_reset(g);
}

static void test_bad_shapes(void)
{
    drift_graph *g = drift_graph_create();
    int xs[4] = {2, 3, 8, 8}, ws[4] = {4, 4, 3, 3}, w1[3] = {4, 3, 3}, big[4] = {4, 3, 11, 3};
    int bs = 5, ls[2] = {6, 7}, lw[2] = {3, 8};
#define T(nd, sh) drift_graph_zeros(g, nd, sh)
    expect_failure(g, drift_conv(g, T(4, xs), T(4, ws), NULL, 1, 1), DRIFT_ERR_SHAPE,
                   "input has 3 channels but weight expects 4");
    expect_failure(g, drift_conv(g, T(4, xs), T(3, w1), NULL, 1, 1), DRIFT_ERR_SHAPE, "4 dims");
    ws[1] = 3;
    expect_failure(g, drift_conv(g, T(4, xs), T(4, ws), T(1, &bs), 1, 1), DRIFT_ERR_SHAPE,
                   "bias (5) must be (4)");
    expect_failure(g, drift_conv(g, T(4, xs), T(4, ws), NULL, 0, 1), DRIFT_ERR_ARG, "stride");
    expect_failure(g, drift_conv(g, T(4, xs), T(4, ws), NULL, 1, -1), DRIFT_ERR_ARG, "pad");
    expect_failure(g, drift_conv(g, T(4, xs), T(4, big), NULL, 1, 1), DRIFT_ERR_SHAPE,
                   "larger than input");
    expect_failure(g, drift_conv(g, T(2, ls), T(2, ls), NULL, 1, 1), DRIFT_ERR_SHAPE, "(N,C,L)");
    expect_failure(g, drift_conv(g, NULL, T(4, ws), NULL, 1, 1), DRIFT_ERR_ARG, "missing input");
    expect_failure(g, drift_linear(g, T(2, ls), T(2, lw), NULL), DRIFT_ERR_SHAPE,
                   "input has 7 features but weight expects 8");
    lw[1] = 7;
    expect_failure(g, drift_linear(g, T(2, ls), T(2, lw), T(1, &bs)), DRIFT_ERR_SHAPE,
                   "bias (5) must be (3)");
    expect_failure(g, drift_linear(g, T(2, ls), T(1, &bs), NULL), DRIFT_ERR_SHAPE, "(OUT,IN)");
    /* A failed graph stays failed: later operators return NULL at once. */
    CHECK(drift_conv(g, T(4, xs), T(3, w1), NULL, 1, 1) == NULL, "first failure");
    CHECK(drift_linear(g, T(2, ls), T(2, lw), NULL) == NULL, "sticky failure");
#undef T
    drift_graph_free(g);
}

/* ---- threads and memory ------------------------------------------------- */

typedef struct run_result {
    float *y, *gx, *gw, *gb;
    size_t ny, nx, nw, nb;
} run_result;

static void free_result(run_result *r)
{
    free(r->y);
    free(r->gx);
    free(r->gw);
    free(r->gb);
}

static float *copy_of(const float *p, size_t n)
{
    float *q = malloc(n * sizeof(float));
    memcpy(q, p, n * sizeof(float));
    return q;
}

/* Forward and backward of one conv (h = 0: 1-D) with random data of seed 3. */
static run_result run_conv(drift_graph *g, const conv_spec *s)
{
    bool two_d = s->h > 0;
    int nd = two_d ? 4 : 3;
    int xs[4] = {s->n, s->cin, two_d ? s->h : s->w, s->w};
    int ws[4] = {s->cout, s->cin, two_d ? s->kh : s->kw, s->kw};
    drift_graph_reset(g);
    drift_tensor *x = drift_graph_tensor(g, nd, xs), *w = drift_graph_tensor(g, nd, ws);
    drift_tensor *b = drift_graph_tensor(g, 1, &s->cout);
    drift_rng rng;
    drift_rng_init(&rng, 3, 0);
    drift_tensor *all[3] = {x, w, b};
    for (int i = 0; i < 3; i++) {
        drift_rng_normal(&rng, all[i]->data, all[i]->numel);
        all[i]->flags |= DRIFT_T_NEEDS_GRAD;
    }
    drift_tensor *y = drift_conv(g, x, w, b, s->stride, s->pad);
    float *go = drift_grad(g, y);
    drift_rng_normal(&rng, go, y->numel);
    drift_graph_backward_from(g, y);
    CHECK(drift_graph_status(g) == DRIFT_OK, "%s: %s", s->name, drift_graph_error(g));
    return (run_result){copy_of(y->data, y->numel), copy_of(x->grad, x->numel),
                        copy_of(w->grad, w->numel), copy_of(b->grad, b->numel),
                        y->numel, x->numel, w->numel, b->numel};
}

/* Linear forward and backward, (4,96,64) x (80,64)^T, on 1 then 2 threads. */
static void test_linear_threads(void)
{
    int xs[3] = {4, 96, 64}, ws[2] = {80, 64}, bs = 80;
    float *first[3] = {NULL, NULL, NULL};
    for (int threads = 1; threads <= 2; threads++) {
        drift_set_threads(threads);
        drift_graph *g = drift_graph_create();
        drift_tensor *in[3] = {drift_graph_tensor(g, 3, xs), drift_graph_tensor(g, 2, ws),
                               drift_graph_tensor(g, 1, &bs)};
        drift_rng rng;
        drift_rng_init(&rng, 8, 0);
        for (int i = 0; i < 3; i++) {
            drift_rng_normal(&rng, in[i]->data, in[i]->numel);
            in[i]->flags |= DRIFT_T_NEEDS_GRAD;
        }
        drift_tensor *y = drift_linear(g, in[0], in[1], in[2]);
        drift_rng_normal(&rng, drift_grad(g, y), y->numel);
        CHECK(drift_graph_backward_from(g, y) == DRIFT_OK, "linear threads: %s", drift_graph_error(g));
        float *got[3] = {y->data, in[0]->grad, in[1]->grad};
        size_t n[3] = {y->numel, in[0]->numel, in[1]->numel};
        for (int i = 0; i < 3; i++) {
            if (threads == 1)
                first[i] = copy_of(got[i], n[i]);
            else
                CHECK(memcmp(first[i], got[i], n[i] * sizeof(float)) == 0,
                      "linear result %d differs between 1 and 2 threads", i);
        }
        drift_graph_free(g);
    }
    for (int i = 0; i < 3; i++)
        free(first[i]);
    drift_set_threads(0);
}

static void test_threads_and_memory(void)
{
    static const conv_spec specs[] = {
        {"threads 2-D k3", 8, 32, 32, 16, 16, 3, 3, 1, 1, true},
        {"threads 2-D s2", 8, 32, 16, 16, 15, 3, 3, 2, 1, true},
        {"threads 1-D", 4, 80, 64, 0, 128, 1, 3, 1, 1, true},
        {"threads 1x1 n1", 1, 64, 64, 32, 32, 1, 1, 1, 0, true},
    };
    drift_graph *g = drift_graph_create();
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        drift_set_threads(1);
        run_result a = run_conv(g, &specs[i]);
        drift_set_threads(2);
        run_result b = run_conv(g, &specs[i]);
        size_t allocs = drift_graph_system_allocs(g);
        run_result c = run_conv(g, &specs[i]);
        CHECK(drift_graph_system_allocs(g) == allocs, "%s: a repeated step allocates", specs[i].name);
        CHECK(memcmp(a.y, b.y, a.ny * sizeof(float)) == 0, "%s: output differs", specs[i].name);
        CHECK(memcmp(a.gx, b.gx, a.nx * sizeof(float)) == 0, "%s: dx differs", specs[i].name);
        CHECK(memcmp(a.gw, b.gw, a.nw * sizeof(float)) == 0, "%s: dW differs", specs[i].name);
        CHECK(memcmp(a.gb, b.gb, a.nb * sizeof(float)) == 0, "%s: db differs", specs[i].name);
        CHECK(memcmp(b.gw, c.gw, a.nw * sizeof(float)) == 0, "%s: rerun differs", specs[i].name);
        free_result(&a);
        free_result(&b);
        free_result(&c);
    }
    drift_set_threads(0);
    drift_graph_free(g);
}

int main(void)
{
    test_golden();
    test_conv_fd();
    test_linear_fd();
    test_bad_shapes();
    test_threads_and_memory();
    test_linear_threads();
    return test_finish("test_ops_conv");
}
