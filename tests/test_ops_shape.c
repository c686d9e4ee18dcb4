/* test_ops_shape.c: upsample2x, concat_channels, reshape, to/from tokens
 * and slice_last against PyTorch golden data (tests/golden/make_ops_conv.py),
 * finite-difference gradient checks, bad shapes and thread-count
 * independence. */
#include "drift.h"
#include "gradcheck.h"
#include "op_shape.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* These operators only move values, so PyTorch's results must come back
 * exactly up to float rounding of the gradient sums. */
#define GOLDEN_TOL 1e-6
#define FD_EPS 1e-2
#define FD_FLOOR 0.1
#define FD_TOL 1e-2

/* ---- golden cases ------------------------------------------------------- */

typedef drift_tensor *(*golden_op)(drift_graph *g, drift_tensor *const *in,
                                   const golden_tensor *args);

static drift_tensor *op_upsample(drift_graph *g, drift_tensor *const *in, const golden_tensor *a)
{
    return drift_upsample2x(g, in[0]);
}

static drift_tensor *op_concat(drift_graph *g, drift_tensor *const *in, const golden_tensor *a)
{
    return drift_concat_channels(g, in[0], in[1]);
}

static drift_tensor *op_reshape(drift_graph *g, drift_tensor *const *in, const golden_tensor *a)
{
    int shape[4] = {0};
    for (size_t i = 0; i < a->n && i < 4; i++)
        shape[i] = (int)a->data[i];
    return drift_reshape(g, in[0], (int)a->n, shape);
}

static drift_tensor *op_to_tokens(drift_graph *g, drift_tensor *const *in, const golden_tensor *a)
{
    return drift_to_tokens(g, in[0]);
}

static drift_tensor *op_from_tokens(drift_graph *g, drift_tensor *const *in, const golden_tensor *a)
{
    int shape[4] = {0};
    for (size_t i = 0; i < a->n && i < 4; i++)
        shape[i] = (int)a->data[i];
    return drift_from_tokens(g, in[0], (int)a->n, shape);
}

static drift_tensor *op_slice(drift_graph *g, drift_tensor *const *in, const golden_tensor *a)
{
    return drift_slice_last(g, in[0], (int)a->data[0], (int)a->data[1]);
}

static const golden_tensor *need(const golden_file *gf, const char *c, const char *key)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", c, key);
    return golden_get(gf, name);
}

/* Checks data against scale * ref over the whole tensor. */
static void compare(const char *c, const char *what, const drift_tensor *t, const float *data,
                    const golden_tensor *ref, float scale)
{
    bool dims = t && ref && t->ndim == ref->ndim;
    for (int d = 0; dims && d < t->ndim; d++)
        dims = t->shape[d] == ref->dims[d];
    CHECK(dims, "%s: %s shape", c, what);
    if (!dims || !data)
        return;
    float *want = malloc(ref->n * sizeof(float));
    for (size_t i = 0; i < ref->n; i++)
        want[i] = scale * ref->data[i];
    double err = rel_error(data, want, ref->n, 1e-6);
    CHECK(err <= GOLDEN_TOL, "%s: %s rel error %.3g (x%g)", c, what, err, scale);
    free(want);
}

/* Case c with inputs "x" and, for concat, "w"; all inputs need gradients.
 * Run twice: gradients from zero, then starting from the reference
 * gradients (backward must add: twice the reference). */
static void golden_case(const golden_file *gf, const char *c, golden_op op, int n_in)
{
    static const char *keys[2] = {"x", "w"}, *gkeys[2] = {"gx", "gw"};
    const golden_tensor *args = need(gf, c, "args"), *gy = need(gf, c, "gy");
    const golden_tensor *y_ref = need(gf, c, "y"), *ref[2] = {NULL, NULL}, *gref[2] = {NULL, NULL};
    for (int i = 0; i < n_in; i++) {
        ref[i] = need(gf, c, keys[i]);
        gref[i] = need(gf, c, gkeys[i]);
        if (!ref[i] || !gref[i] || ref[i]->n != gref[i]->n)
            return;
    }
    if (!args || !gy || !y_ref)
        return;
    for (int pass = 0; pass < 2; pass++) {
        drift_graph *g = drift_graph_create();
        drift_tensor *in[2] = {NULL, NULL};
        float *seed[2] = {NULL, NULL};
        for (int i = 0; i < n_in; i++) {
            in[i] = drift_graph_wrap(g, ref[i]->data, ref[i]->ndim, ref[i]->dims);
            in[i]->flags |= DRIFT_T_NEEDS_GRAD;
            if (pass == 1) {
                in[i]->grad = seed[i] = malloc(gref[i]->n * sizeof(float));
                memcpy(seed[i], gref[i]->data, gref[i]->n * sizeof(float));
            }
        }
        drift_tensor *y = op(g, in, args);
        CHECK(y && drift_graph_status(g) == DRIFT_OK, "%s: %s", c, drift_graph_error(g));
        float *go = y ? drift_grad(g, y) : NULL;
        CHECK(go != NULL, "%s: output needs a gradient", c);
        if (go) {
            compare(c, "output", y, y->data, y_ref, 1);
            memcpy(go, gy->data, gy->n * sizeof(float));
            CHECK(drift_graph_backward_from(g, y) == DRIFT_OK, "%s: %s", c, drift_graph_error(g));
            for (int i = 0; i < n_in; i++)
                compare(c, gkeys[i], in[i], in[i]->grad, gref[i], pass ? 2.0f : 1.0f);
        }
        for (int i = 0; i < n_in; i++)
            free(seed[i]);
        drift_graph_free(g);
    }
}

static void test_golden(void)
{
    golden_file gf;
    CHECK(golden_load(&gf, test_path("golden/ops_conv.bin")), "golden file loads");
    golden_case(&gf, "upsample_1d", op_upsample, 1);
    golden_case(&gf, "upsample_2d", op_upsample, 1);
    golden_case(&gf, "concat_2d", op_concat, 2);
    golden_case(&gf, "concat_1d", op_concat, 2);
    golden_case(&gf, "reshape", op_reshape, 1);
    golden_case(&gf, "tokens_1d", op_to_tokens, 1);
    golden_case(&gf, "tokens_2d", op_to_tokens, 1);
    golden_case(&gf, "from_tokens_2d", op_from_tokens, 1);
    golden_case(&gf, "from_tokens_1d", op_from_tokens, 1);
    golden_case(&gf, "slice_last", op_slice, 1);
    golden_case(&gf, "slice_last_4d", op_slice, 1);
    golden_free(&gf);
}

/* ---- finite differences ------------------------------------------------- */

typedef struct fd_case {
    const char *name;
    golden_op op;
    int n_in, ndim;
    int shape[2][4];   /* of each input */
    golden_tensor args; /* data points at argv */
    float argv[4];
} fd_case;

static drift_tensor *fd_eval(drift_graph *g, drift_tensor **in, void *ctx)
{
    fd_case *c = ctx;
    c->args.data = c->argv;
    return c->op(g, in, &c->args);
}

static void test_fd(void)
{
    static fd_case cases[] = {
        {"upsample 1-D", op_upsample, 1, 3, {{2, 2, 5}}, {.n = 0}, {0}},
        {"upsample 2-D", op_upsample, 1, 4, {{1, 2, 3, 4}}, {.n = 0}, {0}},
        {"concat 2-D", op_concat, 2, 4, {{2, 1, 3, 2}, {2, 3, 3, 2}}, {.n = 0}, {0}},
        {"reshape", op_reshape, 1, 3, {{2, 3, 4}}, {.n = 2}, {4, 6}},
        {"to_tokens 2-D", op_to_tokens, 1, 4, {{2, 3, 2, 5}}, {.n = 0}, {0}},
        {"from_tokens 1-D", op_from_tokens, 1, 3, {{2, 7, 3}}, {.n = 3}, {2, 3, 7}},
        {"slice_last", op_slice, 1, 3, {{2, 3, 9}}, {.n = 2}, {3, 5}},
    };
    drift_rng rng;
    drift_rng_init(&rng, 21, 0);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        fd_case *c = &cases[k];
        gradcheck_input in[2];
        for (int i = 0; i < c->n_in; i++) {
            in[i].ndim = c->ndim;
            size_t n = 1;
            for (int d = 0; d < c->ndim; d++)
                n *= (size_t)(in[i].shape[d] = c->shape[i][d]);
            in[i].data = malloc(n * sizeof(float));
            drift_rng_normal(&rng, in[i].data, n);
            in[i].differentiable = true;
        }
        double err = gradcheck(c->name, fd_eval, c, c->n_in, in, FD_EPS, 40, FD_FLOOR, FD_TOL);
        CHECK(err <= FD_TOL, "gradcheck %s: worst relative error %.3g", c->name, err);
        for (int i = 0; i < c->n_in; i++)
            free(in[i].data);
    }
}

/* ---- bad input and sharing ---------------------------------------------- */

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
    int a[4] = {2, 3, 4, 5}, b[4] = {2, 2, 4, 6}, v[2] = {6, 10}, t[3] = {2, 20, 3};
    int r[2] = {7, 9}, f[4] = {2, 3, 4, 6}, f5[4] = {2, 4, 4, 5}, z[2] = {0, 3};
#define T(nd, sh) drift_graph_zeros(g, nd, sh)
    expect_failure(g, drift_upsample2x(g, T(2, v)), DRIFT_ERR_SHAPE, "(N,C,L) or (N,C,H,W)");
    expect_failure(g, drift_concat_channels(g, T(4, a), T(4, b)), DRIFT_ERR_SHAPE,
                   "(2,3,4,5) and (2,2,4,6) differ");
    expect_failure(g, drift_concat_channels(g, T(4, a), T(2, v)), DRIFT_ERR_SHAPE, "differ");
    expect_failure(g, drift_reshape(g, T(4, a), 2, r), DRIFT_ERR_SHAPE, "120 elements");
    expect_failure(g, drift_reshape(g, T(4, a), 2, z), DRIFT_ERR_SHAPE, "dims > 0");
    expect_failure(g, drift_reshape(g, T(4, a), 5, a), DRIFT_ERR_SHAPE, "1 to 4 dims");
    expect_failure(g, drift_to_tokens(g, T(2, v)), DRIFT_ERR_SHAPE, "to_tokens");
    expect_failure(g, drift_from_tokens(g, T(3, t), 4, f), DRIFT_ERR_SHAPE,
                   "tokens (2,20,3) do not fit shape (2,3,4,6)");
    expect_failure(g, drift_from_tokens(g, T(3, t), 4, f5), DRIFT_ERR_SHAPE, "do not fit");
    expect_failure(g, drift_from_tokens(g, T(3, t), 2, v), DRIFT_ERR_SHAPE, "from_tokens");
    expect_failure(g, drift_slice_last(g, T(2, v), 8, 3), DRIFT_ERR_ARG, "[8, 8+3)");
    expect_failure(g, drift_slice_last(g, T(2, v), -1, 3), DRIFT_ERR_ARG, "slice_last");
    expect_failure(g, drift_slice_last(g, T(2, v), 0, 0), DRIFT_ERR_ARG, "slice_last");
    expect_failure(g, drift_slice_last(g, NULL, 0, 1), DRIFT_ERR_ARG, "missing input");
#undef T
    /* Reshape shares the values; the gradient still reaches x. */
    drift_tensor *x = drift_graph_zeros(g, 4, a);
    x->flags |= DRIFT_T_NEEDS_GRAD;
    int flat[2] = {6, 20};
    drift_tensor *y = drift_reshape(g, x, 2, flat);
    CHECK(y && y->data == x->data && y->ndim == 2 && y->shape[1] == 20, "reshape view");
    drift_graph_free(g);
}

/* ---- threads ------------------------------------------------------------ */

/* upsample -> concat with itself -> to_tokens -> slice -> from_tokens, on a
 * U-Net-sized map, forward and backward; returns copies of y and dx. */
static void run_chain(float **y_out, float **gx_out, size_t *ny, size_t *nx)
{
    int xs[4] = {4, 32, 16, 16};
    drift_graph *g = drift_graph_create();
    drift_tensor *x = drift_graph_tensor(g, 4, xs);
    drift_rng rng;
    drift_rng_init(&rng, 4, 0);
    drift_rng_normal(&rng, x->data, x->numel);
    x->flags |= DRIFT_T_NEEDS_GRAD;
    drift_tensor *u = drift_upsample2x(g, x);
    drift_tensor *tok = drift_to_tokens(g, drift_concat_channels(g, u, u));
    int back[4] = {4, 40, 32, 32};
    drift_tensor *y = drift_from_tokens(g, drift_slice_last(g, tok, 10, 40), 4, back);
    CHECK(y && drift_graph_status(g) == DRIFT_OK, "chain: %s", drift_graph_error(g));
    if (y) {
        float *go = drift_grad(g, y);
        drift_rng_normal(&rng, go, y->numel);
        drift_graph_backward_from(g, y);
        *ny = y->numel;
        *nx = x->numel;
        *y_out = malloc(*ny * sizeof(float));
        *gx_out = malloc(*nx * sizeof(float));
        memcpy(*y_out, y->data, *ny * sizeof(float));
        memcpy(*gx_out, x->grad, *nx * sizeof(float));
    }
    drift_graph_free(g);
}

static void test_threads(void)
{
    float *y[2] = {NULL, NULL}, *gx[2] = {NULL, NULL};
    size_t ny = 0, nx = 0;
    for (int t = 0; t < 2; t++) {
        drift_set_threads(t + 1);
        run_chain(&y[t], &gx[t], &ny, &nx);
    }
    CHECK(y[0] && y[1] && memcmp(y[0], y[1], ny * sizeof(float)) == 0, "output differs by threads");
    CHECK(gx[0] && gx[1] && memcmp(gx[0], gx[1], nx * sizeof(float)) == 0, "dx differs by threads");
    for (int t = 0; t < 2; t++) {
        free(y[t]);
        free(gx[t]);
    }
    drift_set_threads(0);
}

int main(void)
{
    test_golden();
    test_fd();
    test_bad_shapes();
    test_threads();
    return test_finish("test_ops_shape");
}
