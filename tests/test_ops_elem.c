/* test_ops_elem.c: elementwise, embedding and loss operators: gradients by
 * finite differences, outputs and gradients against PyTorch (golden file
 * tests/golden/ops_rest.bin), dropout's mask, the timestep embedding's
 * formula, errors on bad arguments, and equal results on 1 and 2 threads. */
#include "drift.h"
#include "gradcheck.h"
#include "opcheck.h"
#include "op_elem.h"
#include "op_embed.h"
#include "op_loss.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Finite-difference settings: with float32 forward passes, central
 * differences with eps = 1e-2 agree with correct gradients to about 5e-4
 * relative (float rounding of the output over 2 eps, plus eps^2 terms); a
 * wrong gradient is off by O(1). The loss is quadratic, so its differences
 * are exact for any eps and a larger one reduces the rounding noise. */
#define FD_EPS 1e-2
#define FD_EPS_QUADRATIC 5e-2
#define FD_TOL 2e-3
#define FD_FLOOR 1e-2

/* ---- the operators under test, as gradcheck callbacks ----------------- */

static drift_tensor *op_silu(drift_graph *g, drift_tensor **in, void *ctx) { return drift_silu(g, in[0]); }
static drift_tensor *op_add(drift_graph *g, drift_tensor **in, void *ctx) { return drift_add(g, in[0], in[1]); }
static drift_tensor *op_mul(drift_graph *g, drift_tensor **in, void *ctx) { return drift_mul(g, in[0], in[1]); }
static drift_tensor *op_square(drift_graph *g, drift_tensor **in, void *ctx) { return drift_mul(g, in[0], in[0]); }
static drift_tensor *op_scale(drift_graph *g, drift_tensor **in, void *ctx)
{
    return drift_scale(g, in[0], *(const float *)ctx);
}
static drift_tensor *op_add_channel(drift_graph *g, drift_tensor **in, void *ctx)
{
    return drift_add_channel(g, in[0], in[1]);
}
static drift_tensor *op_mul_channel(drift_graph *g, drift_tensor **in, void *ctx)
{
    return drift_mul_channel(g, in[0], in[1]);
}

/* Dropout in training mode with a generator made afresh from a fixed seed
 * on every call. gradcheck evaluates its probes with gradients off, which
 * would make dropout the identity, so training mode is switched on around
 * the call (no node is recorded then: the probes' inputs need no grad). */
static drift_tensor *op_dropout(drift_graph *g, drift_tensor **in, void *ctx)
{
    drift_rng rng;
    drift_rng_init(&rng, 31, 4);
    bool was = drift_graph_grad_enabled(g);
    drift_graph_set_grad(g, true);
    drift_tensor *y = drift_dropout(g, in[0], *(const float *)ctx, &rng);
    drift_graph_set_grad(g, was);
    return y;
}

typedef struct {
    const int *ids;
    int n;
} ids_ctx;

static drift_tensor *op_embedding(drift_graph *g, drift_tensor **in, void *ctx)
{
    const ids_ctx *c = ctx;
    return drift_embedding(g, in[0], c->ids, c->n);
}

static drift_tensor *op_mse(drift_graph *g, drift_tensor **in, void *ctx)
{
    return drift_mse(g, in[0], in[1], ctx);
}

/* ---- tests ------------------------------------------------------------- */

static void check_grad_eps(const char *name, gradcheck_fn f, void *ctx, int n_in,
                           const gradcheck_input *in, double eps)
{
    double err = gradcheck(name, f, ctx, n_in, in, eps, 200, FD_FLOOR, FD_TOL);
    CHECK(err <= FD_TOL, "gradcheck %s: worst relative error %g", name, err);
}

static void check_grad(const char *name, gradcheck_fn f, void *ctx, int n_in, const gradcheck_input *in)
{
    check_grad_eps(name, f, ctx, n_in, in, FD_EPS);
}

static void test_gradients(void)
{
    int s3[3] = {2, 3, 5}, s4[4] = {2, 3, 4, 5}, s2[2] = {2, 3};
    float *a = randn(120, 1, 1.5f, 0.0f), *b = randn(120, 2, 1.0f, 0.0f), *v = randn(6, 3, 1.0f, 0.0f);
    float factor = -1.75f, p = 0.4f;
    gradcheck_input ab[2] = {input(3, s3, a, true), input(3, s3, b, true)};
    check_grad("silu", op_silu, NULL, 1, ab);
    check_grad("add", op_add, NULL, 2, ab);
    check_grad("mul", op_mul, NULL, 2, ab);
    check_grad("mul x*x", op_square, NULL, 1, ab);
    check_grad("scale", op_scale, &factor, 1, ab);
    check_grad("dropout", op_dropout, &p, 1, ab);
    gradcheck_input xv[2] = {input(4, s4, a, true), input(2, s2, v, true)};
    check_grad("add_channel", op_add_channel, NULL, 2, xv);
    check_grad("mul_channel", op_mul_channel, NULL, 2, xv);
    gradcheck_input x3v[2] = {input(3, s3, a, true), input(2, s2, v, true)};
    check_grad("mul_channel 1-D", op_mul_channel, NULL, 2, x3v);

    int table_shape[2] = {7, 5}, ids[6] = {3, -1, 0, 6, 3, 2};
    ids_ctx ic = {ids, 6};
    gradcheck_input table = input(2, table_shape, a, true);
    check_grad("embedding", op_embedding, &ic, 1, &table);

    float w[2] = {0.3f, 2.5f};
    check_grad_eps("mse", op_mse, NULL, 2, ab, FD_EPS_QUADRATIC);
    check_grad_eps("mse weighted", op_mse, w, 2, ab, FD_EPS_QUADRATIC);
    /* Fixed target (no gradient) as in training. */
    gradcheck_input fixed[2] = {ab[0], input(3, s3, b, false)};
    check_grad_eps("mse fixed target", op_mse, w, 2, fixed, FD_EPS_QUADRATIC);

    accumulate_check("silu", op_silu, NULL, 1, ab);
    accumulate_check("add", op_add, NULL, 2, ab);
    accumulate_check("mul", op_mul, NULL, 2, ab);
    accumulate_check("scale", op_scale, &factor, 1, ab);
    accumulate_check("dropout", op_dropout, &p, 1, ab);
    accumulate_check("add_channel", op_add_channel, NULL, 2, xv);
    accumulate_check("mul_channel", op_mul_channel, NULL, 2, xv);
    accumulate_check("embedding", op_embedding, &ic, 1, &table);
    accumulate_check("mse", op_mse, w, 2, ab);
    free(a);
    free(b);
    free(v);
}

static void test_golden(void)
{
    golden_file gf;
    if (!golden_load(&gf, test_path("golden/ops_rest.bin")))
        return;
    golden_check(&gf, "silu", op_silu, NULL, 1, (golden_arg[]){{"silu.x", "silu.gx"}});
    golden_check(&gf, "add_channel", op_add_channel, NULL, 2,
                 (golden_arg[]){{"chan.x", "add_channel.gx"}, {"chan.v", "add_channel.gv"}});
    golden_check(&gf, "mul_channel", op_mul_channel, NULL, 2,
                 (golden_arg[]){{"chan.x", "mul_channel.gx"}, {"chan.v", "mul_channel.gv"}});
    const golden_tensor *ids_f = golden_get(&gf, "embed.ids"), *w = golden_get(&gf, "mse.w");
    if (ids_f && ids_f->n <= 16) {
        int ids[16];
        for (size_t i = 0; i < ids_f->n; i++)
            ids[i] = (int)ids_f->data[i];
        ids_ctx ic = {ids, (int)ids_f->n};
        golden_check(&gf, "embed", op_embedding, &ic, 1, (golden_arg[]){{"embed.table", "embed.gtable"}});
    }
    golden_arg mse_args[2] = {{"mse.pred", "mse.gpred"}, {"mse.target", "mse.gtarget"}};
    golden_check(&gf, "mse", op_mse, NULL, 2, mse_args);
    golden_arg mse_w_args[2] = {{"mse.pred", "mse_w.gpred"}, {"mse.target", "mse_w.gtarget"}};
    if (w)
        golden_check(&gf, "mse_w", op_mse, w->data, 2, mse_w_args);

    const golden_tensor *t = golden_get(&gf, "temb.t"), *want = golden_get(&gf, "temb.out");
    if (t && want) {
        drift_graph *g = drift_graph_create();
        drift_tensor *e = drift_timestep_embedding(g, t->data, (int)t->n, want->dims[1], 10000.0f);
        CHECK(e && e->numel == want->n, "timestep embedding ran: %s", drift_graph_error(g));
        if (e && e->numel == want->n)
            CHECK(rel_error(e->data, want->data, want->n, 1e-6) <= GOLDEN_TOL,
                  "timestep embedding differs from torch by %g",
                  rel_error(e->data, want->data, want->n, 1e-6));
        drift_graph_free(g);
    }
    golden_free(&gf);
}

/* drift_fast_expf against exp() in double over its whole range, and its
 * clamping outside it. */
static void test_fast_exp(void)
{
    double worst = 0;
    float worst_x = 0;
    for (float x = -87.0f; x <= 88.0f; x += 0.000731f * (1.0f + fabsf(x))) {
        double want = exp((double)x), err = fabs(drift_fast_expf(x) - want) / want;
        if (err > worst) {
            worst = err;
            worst_x = x;
        }
    }
    CHECK(worst <= 5e-7, "fast exp: relative error %g at %g", worst, (double)worst_x);
    CHECK(drift_fast_expf(0.0f) == 1.0f, "e^0 = %g", (double)drift_fast_expf(0.0f));
    float lo = drift_fast_expf(-1000.0f), hi = drift_fast_expf(1000.0f);
    CHECK(lo > 0.0f && lo < 1e-37f, "e^-1000 clamps to a tiny positive number, got %g", (double)lo);
    CHECK(isfinite(hi) && hi > 1e38f, "e^1000 clamps to a large finite number, got %g", (double)hi);
    CHECK(isnan(drift_fast_expf(NAN)), "e^NaN is NaN");
    float silu_far[2] = {-100.0f, 100.0f};
    int two = 2;
    drift_graph *g = drift_graph_create();
    drift_tensor *y = drift_silu(g, drift_graph_wrap(g, silu_far, 1, &two));
    CHECK(y && fabsf(y->data[0]) < 1e-30f && y->data[1] == 100.0f, "silu(-100), silu(100) = %g, %g",
          y ? (double)y->data[0] : NAN, y ? (double)y->data[1] : NAN);
    drift_graph_free(g);
}

static void test_timestep_formula(void)
{
    float t[5] = {0.0f, 3.0f, 250.5f, 999.0f, 0.137f};
    int dim = 32, half = 16;
    double period = 5000.0;
    drift_graph *g = drift_graph_create();
    drift_tensor *e = drift_timestep_embedding(g, t, 5, dim, (float)period);
    CHECK(e && e->ndim == 2 && e->shape[0] == 5 && e->shape[1] == dim, "shape (5,%d)", dim);
    CHECK(!e || !drift_tensor_needs_grad(e), "a constant needs no gradient");
    double worst = 0;
    for (int r = 0; e && r < 5; r++)
        for (int i = 0; i < half; i++) {
            double freq = exp(-log(period) * i / half), arg = t[r] * freq;
            worst = fmax(worst, fabs(e->data[r * dim + i] - cos(arg)));
            worst = fmax(worst, fabs(e->data[r * dim + half + i] - sin(arg)));
        }
    CHECK(worst <= 1e-6, "timestep embedding off the formula by %g", worst);
    drift_graph_free(g);
}

static void test_dropout_mask(void)
{
    size_t n = light() ? 40000 : 400000;
    int shape[1] = {(int)n};
    float p = 0.3f, scale = 1.0f / (1.0f - p);
    float *x = malloc(n * sizeof *x), *gx = calloc(n, sizeof *gx);
    for (size_t i = 0; i < n; i++)
        x[i] = 1.0f + (float)(i % 5);
    drift_graph *g = drift_graph_create();
    drift_rng rng, again;
    drift_rng_init(&rng, 5, 9);
    again = rng;
    drift_tensor *xt = drift_graph_wrap(g, x, 1, shape);
    xt->grad = gx;
    xt->flags |= DRIFT_T_NEEDS_GRAD | DRIFT_T_PARAM;
    drift_tensor *y = drift_dropout(g, xt, p, &rng);
    CHECK(y && y != xt, "dropout in training makes a new tensor");
    CHECK(rng.counter == again.counter + (n + 3) / 4, "rng advanced by ceil(n/4) blocks");
    size_t dropped = 0, wrong = 0;
    for (size_t i = 0; y && i < n; i++) {
        if (y->data[i] == 0.0f)
            dropped++;
        else if (y->data[i] != x[i] * scale)
            wrong++;
    }
    double frac = (double)dropped / (double)n, sigma = sqrt(p * (1 - p) / (double)n);
    CHECK(fabs(frac - p) < 5 * sigma, "dropped fraction %g, want %g +- %g", frac, p, 5 * sigma);
    CHECK(wrong == 0, "%zu kept values not scaled by 1/(1-p)", wrong);

    /* Backward with gy = 1 gives the mask itself. */
    float *go = y ? drift_grad(g, y) : NULL;
    for (size_t i = 0; go && i < n; i++)
        go[i] = 1.0f;
    CHECK(go && drift_graph_backward_from(g, y) == DRIFT_OK, "backward ran");
    size_t mismatched = 0;
    for (size_t i = 0; go && i < n; i++)
        mismatched += gx[i] != (y->data[i] == 0.0f ? 0.0f : scale);
    CHECK(mismatched == 0, "backward used another mask at %zu elements", mismatched);

    /* The same rng state gives the same mask; the advanced one another. */
    drift_tensor *y2 = drift_dropout(g, xt, p, &again);
    drift_tensor *y3 = drift_dropout(g, xt, p, &rng);
    CHECK(y2 && memcmp(y2->data, y->data, n * sizeof(float)) == 0, "mask reproducible from the rng state");
    CHECK(y3 && memcmp(y3->data, y->data, n * sizeof(float)) != 0, "next call draws a new mask");

    CHECK(drift_dropout(g, xt, 0.0f, &rng) == xt, "p = 0 is the identity");
    drift_graph_set_grad(g, false);
    CHECK(drift_dropout(g, xt, 0.5f, &rng) == xt, "no dropout at inference");
    drift_graph_free(g);
    free(x);
    free(gx);
}

/* Each bad call must fail with a message naming the operator, not crash. */
static void expect_failure(const char *what, drift_graph *g, const drift_tensor *result, const char *op)
{
    CHECK(result == NULL, "%s: returned a tensor", what);
    CHECK(drift_graph_status(g) != DRIFT_OK, "%s: status not set", what);
    CHECK(strstr(drift_graph_error(g), op) != NULL, "%s: message '%s' does not name %s", what,
          drift_graph_error(g), op);
    drift_graph_reset(g);
}

static void test_bad_arguments(void)
{
    drift_graph *g = drift_graph_create();
    float buf[64] = {0}, w[4] = {1, NAN, 1, 1}, t[2] = {1, 2};
    int s23[2] = {2, 3}, s32[2] = {3, 2}, s234[3] = {2, 3, 4}, s24[2] = {2, 4}, s1[1] = {6};
    int ids[3] = {0, 6, 1}, ids_neg[2] = {-2, 0};
#define T(nd, sh) drift_graph_wrap(g, buf, nd, sh)
    expect_failure("add shapes", g, drift_add(g, T(2, s23), T(2, s32)), "drift_add");
    expect_failure("mul shapes", g, drift_mul(g, T(2, s23), T(2, s32)), "drift_mul");
    expect_failure("scale by NaN", g, drift_scale(g, T(2, s23), NAN), "drift_scale");
    expect_failure("add_channel v", g, drift_add_channel(g, T(3, s234), T(2, s24)), "drift_add_channel");
    expect_failure("mul_channel 1-D x", g, drift_mul_channel(g, T(1, s1), T(2, s23)), "drift_mul_channel");
    drift_rng rng;
    drift_rng_init(&rng, 1, 1);
    expect_failure("dropout p = 1", g, drift_dropout(g, T(2, s23), 1.0f, &rng), "drift_dropout");
    expect_failure("dropout p < 0", g, drift_dropout(g, T(2, s23), -0.1f, &rng), "drift_dropout");
    expect_failure("dropout p NaN", g, drift_dropout(g, T(2, s23), NAN, &rng), "drift_dropout");
    expect_failure("dropout no rng", g, drift_dropout(g, T(2, s23), 0.5f, NULL), "drift_dropout");
    expect_failure("embedding id too big", g, drift_embedding(g, T(2, s23), ids, 3), "drift_embedding");
    CHECK(strstr(drift_last_error(), "id 6") != NULL, "message names the id: %s", drift_last_error());
    expect_failure("embedding id -2", g, drift_embedding(g, T(2, s23), ids_neg, 2), "drift_embedding");
    expect_failure("embedding 3-D table", g, drift_embedding(g, T(3, s234), ids, 1), "drift_embedding");
    expect_failure("embedding no ids", g, drift_embedding(g, T(2, s23), NULL, 2), "drift_embedding");
    expect_failure("timestep odd dim", g, drift_timestep_embedding(g, t, 2, 7, 10000), "drift_timestep_embedding");
    expect_failure("timestep n = 0", g, drift_timestep_embedding(g, t, 0, 8, 10000), "drift_timestep_embedding");
    expect_failure("timestep period", g, drift_timestep_embedding(g, t, 2, 8, 0), "drift_timestep_embedding");
    expect_failure("mse shapes", g, drift_mse(g, T(2, s23), T(2, s32), NULL), "drift_mse");
    expect_failure("mse NaN weight", g, drift_mse(g, T(2, s24), T(2, s24), w), "drift_mse");
    expect_failure("silu of NULL", g, drift_silu(g, NULL), "drift_silu");
    /* After a failure, later operators return NULL and keep the first message. */
    drift_add(g, T(2, s23), T(2, s32));
    CHECK(drift_silu(g, T(2, s23)) == NULL, "sticky error");
    CHECK(strstr(drift_graph_error(g), "drift_add") != NULL, "first error kept");
#undef T
    drift_graph_free(g);
}

static void test_threads(void)
{
    int big[4] = {2, 64, 32, 32}, nc[2] = {2, 64}, table_shape[2] = {50, 256};
    size_t n = 2 * 64 * 32 * 32;
    float *a = randn(n, 11, 1.0f, 0.0f), *b = randn(n, 12, 1.0f, 0.0f), *v = randn(128, 13, 1.0f, 0.0f);
    float factor = 0.5f, p = 0.25f, w[2] = {0.7f, 1.3f};
    gradcheck_input ab[2] = {input(4, big, a, true), input(4, big, b, true)};
    gradcheck_input xv[2] = {ab[0], input(2, nc, v, true)};
    thread_check("silu", op_silu, NULL, 1, ab);
    thread_check("add", op_add, NULL, 2, ab);
    thread_check("mul", op_mul, NULL, 2, ab);
    thread_check("scale", op_scale, &factor, 1, ab);
    thread_check("dropout", op_dropout, &p, 1, ab);
    thread_check("add_channel", op_add_channel, NULL, 2, xv);
    thread_check("mul_channel", op_mul_channel, NULL, 2, xv);
    thread_check("mse", op_mse, w, 2, ab);
    int ids[300];
    for (int i = 0; i < 300; i++)
        ids[i] = i % 51 - 1;
    ids_ctx ic = {ids, 300};
    gradcheck_input table = input(2, table_shape, a, true);
    thread_check("embedding", op_embedding, &ic, 1, &table);
    free(a);
    free(b);
    free(v);
}

int main(void)
{
    test_gradients();
    test_golden();
    test_fast_exp();
    test_timestep_formula();
    test_dropout_mask();
    test_bad_arguments();
    test_threads();
    return test_finish("test_ops_elem");
}
