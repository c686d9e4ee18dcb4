/* test_ops_norm_attn.c: group normalisation and multi-head attention:
 * gradients by finite differences, outputs and gradients against PyTorch
 * (golden file tests/golden/ops_rest.bin), key masks, errors on bad
 * arguments, and equal results on 1 and 2 threads. */
#include "drift.h"
#include "gradcheck.h"
#include "opcheck.h"
#include "op_attn.h"
#include "op_elem.h"
#include "op_loss.h"
#include "op_norm.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Finite differences with float32 forward passes. Rounding the outputs
 * (|y| up to ~4, ~100 of them) puts noise of about 5e-5 on each central
 * difference at eps = 3e-2 (it shrinks as 1/eps: measured), i.e. up to
 * ~5e-3 relative to the floor for the smallest gradients. Group norm's
 * gradients are small (the normalisation projects most of them away) and
 * need eps = 3e-2 to stay clear of that noise; attention's agree at 1e-2.
 * Correct gradients measure below 1.5e-3; a wrong one is off by O(0.1-1). */
#define FD_EPS_NORM 3e-2
#define FD_EPS_ATTN 1e-2
#define FD_TOL 5e-3
#define FD_FLOOR 1e-2

typedef struct {
    int groups;
    bool gamma, beta; /* in[1] is gamma if present, then beta */
} gn_ctx;

static drift_tensor *op_group_norm(drift_graph *g, drift_tensor **in, void *ctx)
{
    const gn_ctx *c = ctx;
    drift_tensor *gamma = c->gamma ? in[1] : NULL, *beta = c->beta ? in[c->gamma ? 2 : 1] : NULL;
    return drift_group_norm(g, in[0], gamma, beta, c->groups, 1e-5f);
}

typedef struct {
    gn_ctx gn;
    bool fused; /* drift_group_norm_silu, else drift_silu of drift_group_norm */
} gn_silu_ctx;

static drift_tensor *op_group_norm_silu(drift_graph *g, drift_tensor **in, void *ctx)
{
    const gn_silu_ctx *c = ctx;
    if (!c->fused)
        return drift_silu(g, op_group_norm(g, in, (void *)&c->gn));
    drift_tensor *gamma = c->gn.gamma ? in[1] : NULL, *beta = c->gn.beta ? in[c->gn.gamma ? 2 : 1] : NULL;
    return drift_group_norm_silu(g, in[0], gamma, beta, c->gn.groups, 1e-5f);
}

typedef struct {
    int heads;
    bool self;   /* q = k = v = in[0] */
    bool masked; /* the last input is the key mask */
} attn_ctx;

static drift_tensor *op_attention(drift_graph *g, drift_tensor **in, void *ctx)
{
    const attn_ctx *c = ctx;
    int n_qkv = c->self ? 1 : 3;
    drift_tensor *mask = c->masked ? in[n_qkv] : NULL;
    if (c->self)
        return drift_attention(g, in[0], in[0], in[0], c->heads, mask);
    return drift_attention(g, in[0], in[1], in[2], c->heads, mask);
}

/* ---- tests ------------------------------------------------------------- */

static void check_grad(const char *name, gradcheck_fn f, void *ctx, int n_in, const gradcheck_input *in,
                       double eps)
{
    double err = gradcheck(name, f, ctx, n_in, in, eps, 150, FD_FLOOR, FD_TOL);
    CHECK(err <= FD_TOL, "gradcheck %s: worst relative error %g", name, err);
}

static void test_group_norm_gradients(void)
{
    int s1[3] = {2, 6, 7}, s2[4] = {2, 4, 3, 5}, c6[1] = {6}, c4[1] = {4};
    float *x = randn(210, 1, 1.5f, 3.0f), *gamma = randn(6, 2, 0.5f, 1.0f), *beta = randn(6, 3, 1, 0);
    char name[64];
    int groups[4] = {1, 2, 3, 6};
    for (int i = 0; i < 4; i++) {
        gn_ctx c = {groups[i], true, true};
        gradcheck_input in[3] = {input(3, s1, x, true), input(1, c6, gamma, true), input(1, c6, beta, true)};
        snprintf(name, sizeof name, "group_norm 1-D, %d groups", groups[i]);
        check_grad(name, op_group_norm, &c, 3, in, FD_EPS_NORM);
    }
    gn_ctx c2 = {2, true, true};
    gradcheck_input in2[3] = {input(4, s2, x, true), input(1, c4, gamma, true), input(1, c4, beta, true)};
    check_grad("group_norm 2-D, 2 groups", op_group_norm, &c2, 3, in2, FD_EPS_NORM);
    gn_ctx c4g = {4, false, false};
    check_grad("group_norm 2-D, 4 groups, no affine", op_group_norm, &c4g, 1, in2, FD_EPS_NORM);
    gn_ctx cg = {2, true, false};
    check_grad("group_norm 2-D, gamma only", op_group_norm, &cg, 2, in2, FD_EPS_NORM);
    gn_ctx cb = {1, false, true};
    gradcheck_input xb[2] = {in2[0], in2[2]};
    check_grad("group_norm 2-D, beta only", op_group_norm, &cb, 2, xb, FD_EPS_NORM);
    accumulate_check("group_norm", op_group_norm, &c2, 3, in2);
    free(x);
    free(gamma);
    free(beta);
}

/* The fused group norm + SiLU gives the bits of the two operators, in a
 * graph that records nothing (one pass) and in one that records (input
 * and gamma gradients too, which the tests above check for both parts). */
static void test_group_norm_silu(void)
{
    int shape[4] = {2, 6, 5, 7}, c6[1] = {6};
    size_t n = 2 * 6 * 5 * 7;
    float *x = randn(n, 50, 1.5f, 0.5f), *gamma = randn(6, 51, 0.5f, 1.0f), *beta = randn(6, 52, 1, 0);
    gn_silu_ctx fused = {{3, true, true}, true}, split = {{3, true, true}, false};
    for (int records = 0; records < 2; records++) {
        const char *how = records ? "recording" : "sampling";
        gradcheck_input in[3] = {input(4, shape, x, records), input(1, c6, gamma, records),
                                 input(1, c6, beta, false)};
        op_result a, b;
        bool ok = run_op(op_group_norm_silu, &fused, 3, in, NULL, 0.0f, &a);
        ok = run_op(op_group_norm_silu, &split, 3, in, NULL, 0.0f, &b) && ok;
        CHECK(ok && a.out_n == n && b.out_n == n, "group norm + silu (%s) ran", how);
        if (ok && a.out_n == n && b.out_n == n)
            CHECK(memcmp(a.out, b.out, n * sizeof(float)) == 0, "fused group norm + silu (%s) differs", how);
        if (ok && records)
            CHECK(memcmp(a.grad[0], b.grad[0], n * sizeof(float)) == 0 &&
                      memcmp(a.grad[1], b.grad[1], 6 * sizeof(float)) == 0,
                  "fused group norm + silu gradients differ");
        result_free(&a);
        result_free(&b);
    }
    free(x);
    free(gamma);
    free(beta);
}

/* Data far from zero (mean 1000, spread 0.01): output and input gradient
 * against the textbook formulas evaluated in double on the same inputs. */
static void test_group_norm_offset(void)
{
    enum { N = 2, C = 4, L = 50, G = 2, M = C / G * L };
    int shape[3] = {N, C, L}, cs[1] = {C};
    float *x = randn(N * C * L, 40, 0.01f, 1000.0f), *gamma = randn(C, 41, 0.5f, 1.0f);
    float *beta = randn(C, 42, 1.0f, 0.0f), *gy = randn(N * C * L, 43, 1.0f, 0.0f);
    float want_y[N * C * L], want_gx[N * C * L];
    for (int grp = 0; grp < N * G; grp++) {
        const float *xg = x + grp * M, *gyg = gy + grp * M;
        double mean = 0, var = 0, mdy = 0, mdyx = 0;
        for (int i = 0; i < M; i++)
            mean += xg[i] / (double)M;
        for (int i = 0; i < M; i++)
            var += (xg[i] - mean) * (xg[i] - mean) / M;
        double rstd = 1.0 / sqrt(var + 1e-5);
        for (int i = 0; i < M; i++) {
            int c = (grp % G) * (C / G) + i / L;
            double xhat = (xg[i] - mean) * rstd;
            want_y[grp * M + i] = (float)(xhat * gamma[c] + beta[c]);
            mdy += gyg[i] * (double)gamma[c] / M;
            mdyx += gyg[i] * (double)gamma[c] * xhat / M;
        }
        for (int i = 0; i < M; i++) {
            int c = (grp % G) * (C / G) + i / L;
            double xhat = (xg[i] - mean) * rstd;
            want_gx[grp * M + i] = (float)(rstd * (gyg[i] * (double)gamma[c] - mdy - xhat * mdyx));
        }
    }
    gn_ctx ctx = {G, true, true};
    gradcheck_input in[3] = {input(3, shape, x, true), input(1, cs, gamma, false), input(1, cs, beta, false)};
    op_result r;
    if (run_op(op_group_norm, &ctx, 3, in, gy, 0.0f, &r)) {
        double ey = rel_error(r.out, want_y, N * C * L, 1e-6), eg = rel_error(r.grad[0], want_gx, N * C * L, 1e-6);
        CHECK(ey <= 1e-4, "group norm of data far from zero: output off by %g", ey);
        CHECK(eg <= 1e-4, "group norm of data far from zero: input gradient off by %g", eg);
    }
    CHECK(r.out != NULL, "group norm ran");
    result_free(&r);
    free(x);
    free(gamma);
    free(beta);
    free(gy);
}

static void test_attention_gradients(void)
{
    int sq[3] = {3, 4, 8}, sk[3] = {3, 6, 8}, sm[2] = {3, 6};
    float *q = randn(96, 10, 1, 0), *k = randn(144, 11, 1, 0), *v = randn(144, 12, 1, 0);
    /* Sample 0 attends to every key, sample 1 to some, sample 2 to none. */
    float mask[18] = {1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    gradcheck_input in[4] = {input(3, sq, q, true), input(3, sk, k, true), input(3, sk, v, true),
                             input(2, sm, mask, false)};
    attn_ctx one = {1, false, false}, four = {4, false, false}, four_masked = {4, false, true},
             two_masked = {2, false, true}, self = {2, true, false};
    check_grad("attention 1 head", op_attention, &one, 3, in, FD_EPS_ATTN);
    check_grad("attention 4 heads", op_attention, &four, 3, in, FD_EPS_ATTN);
    check_grad("attention 4 heads, key mask", op_attention, &four_masked, 4, in, FD_EPS_ATTN);
    check_grad("attention 2 heads, key mask", op_attention, &two_masked, 4, in, FD_EPS_ATTN);
    check_grad("self-attention 2 heads", op_attention, &self, 1, in, FD_EPS_ATTN);
    accumulate_check("attention", op_attention, &four_masked, 4, in);
    accumulate_check("self-attention", op_attention, &self, 1, in);

    /* A sample with every key masked gives zeros and no gradient; masked
     * keys and values get no gradient; a masked value does not matter. */
    op_result r, r2;
    bool ok = run_op(op_attention, &four_masked, 4, in, NULL, 0.0f, &r);
    CHECK(ok, "masked attention ran");
    v[6 * 8 + 3 * 8 + 2] += 5.0f; /* sample 1, key 3 (masked), feature 2 */
    ok = ok && run_op(op_attention, &four_masked, 4, in, NULL, 0.0f, &r2);
    if (ok) {
        size_t zero_out = 0, zero_gq = 0, zero_gkv = 0, masked = 0;
        for (int i = 2 * 32; i < 3 * 32; i++) {
            zero_out += r.out[i] == 0.0f;
            zero_gq += r.grad[0][i] == 0.0f;
        }
        for (int key = 0; key < 18; key++) {
            masked += mask[key] == 0.0f;
            for (int f = 0; mask[key] == 0.0f && f < 8; f++)
                zero_gkv += (r.grad[1][key * 8 + f] == 0.0f) + (r.grad[2][key * 8 + f] == 0.0f);
        }
        CHECK(zero_out == 32, "fully masked sample: %zu of 32 outputs are zero", zero_out);
        CHECK(zero_gq == 32, "fully masked sample: %zu of 32 query gradients are zero", zero_gq);
        CHECK(masked == 9 && zero_gkv == 2 * 8 * masked, "masked keys: %zu of %zu k/v gradients are zero",
              zero_gkv, 2 * 8 * masked);
        CHECK(memcmp(r.out, r2.out, r.out_n * sizeof(float)) == 0, "a masked value changed the output");
    }
    result_free(&r);
    result_free(&r2);
    free(q);
    free(k);
    free(v);
}

static void test_golden(void)
{
    golden_file gf;
    if (!golden_load(&gf, test_path("golden/ops_rest.bin")))
        return;
    gn_ctx c1 = {3, true, true}, c2 = {4, true, true};
    golden_check(&gf, "gn1", op_group_norm, &c1, 3,
                 (golden_arg[]){{"gn1.x", "gn1.gx"}, {"gn1.gamma", "gn1.ggamma"}, {"gn1.beta", "gn1.gbeta"}});
    golden_check(&gf, "gn2", op_group_norm, &c2, 3,
                 (golden_arg[]){{"gn2.x", "gn2.gx"}, {"gn2.gamma", "gn2.ggamma"}, {"gn2.beta", "gn2.gbeta"}});
    attn_ctx a = {2, false, true};
    golden_check(&gf, "attn", op_attention, &a, 4,
                 (golden_arg[]){{"attn.q", "attn.gq"}, {"attn.k", "attn.gk"}, {"attn.v", "attn.gv"},
                                {"attn.mask", NULL}});
    golden_free(&gf);
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
    float buf[256] = {0};
    int x1[3] = {2, 6, 4}, c6[1] = {6}, c5[1] = {5}, flat[1] = {8};
    int q[3] = {2, 4, 8}, k[3] = {2, 5, 8}, k_other_d[3] = {2, 5, 6}, k_other_n[3] = {1, 5, 8};
    int m_ok[2] = {2, 5}, m_bad[2] = {2, 4}, q2[2] = {4, 8};
#define T(nd, sh) drift_graph_wrap(g, buf, nd, sh)
    const char *gn = "drift_group_norm", *at = "drift_attention";
    expect_failure("groups do not divide C", g, drift_group_norm(g, T(3, x1), NULL, NULL, 4, 1e-5f), gn);
    expect_failure("zero groups", g, drift_group_norm(g, T(3, x1), NULL, NULL, 0, 1e-5f), gn);
    expect_failure("eps = 0", g, drift_group_norm(g, T(3, x1), NULL, NULL, 2, 0.0f), gn);
    expect_failure("gamma size", g, drift_group_norm(g, T(3, x1), T(1, c5), NULL, 2, 1e-5f), gn);
    expect_failure("beta size", g, drift_group_norm(g, T(3, x1), T(1, c6), T(1, c5), 2, 1e-5f), gn);
    expect_failure("1-D x", g, drift_group_norm(g, T(1, flat), NULL, NULL, 1, 1e-5f), gn);
    expect_failure("heads do not divide D", g, drift_attention(g, T(3, q), T(3, k), T(3, k), 3, NULL), at);
    expect_failure("zero heads", g, drift_attention(g, T(3, q), T(3, k), T(3, k), 0, NULL), at);
    expect_failure("2-D q", g, drift_attention(g, T(2, q2), T(3, k), T(3, k), 2, NULL), at);
    expect_failure("k, v differ", g, drift_attention(g, T(3, q), T(3, k), T(3, q), 2, NULL), at);
    expect_failure("D differs", g, drift_attention(g, T(3, q), T(3, k_other_d), T(3, k_other_d), 2, NULL), at);
    expect_failure("N differs", g, drift_attention(g, T(3, q), T(3, k_other_n), T(3, k_other_n), 2, NULL), at);
    expect_failure("mask shape", g, drift_attention(g, T(3, q), T(3, k), T(3, k), 2, T(2, m_bad)), at);
    CHECK(drift_attention(g, T(3, q), T(3, k), T(3, k), 2, T(2, m_ok)) != NULL, "good call works: %s",
          drift_graph_error(g));
    expect_failure("NULL input", g, drift_attention(g, T(3, q), NULL, T(3, k), 2, NULL), at);
#undef T
    drift_graph_free(g);
}

/* A training step repeated on one graph allocates nothing after the first:
 * group norm, SiLU, self-attention with a mask and the loss, forward and
 * backward. */
static void test_steady_state(void)
{
    int sx[3] = {2, 8, 12}, c8[1] = {8}, sm[2] = {2, 8}; /* as tokens: Lk = 8, D = 12 */
    float *x = randn(192, 30, 1, 0), *gamma = randn(8, 31, 1, 1), *target = randn(192, 32, 1, 0);
    float ggamma[8], mask[16];
    for (int i = 0; i < 16; i++)
        mask[i] = (float)(i % 5 != 1);
    drift_graph *g = drift_graph_create();
    size_t allocs = 0;
    for (int step = 0; step < 3; step++) {
        drift_graph_reset(g);
        memset(ggamma, 0, sizeof ggamma);
        drift_tensor *gt = drift_graph_wrap(g, gamma, 1, c8);
        gt->grad = ggamma;
        gt->flags |= DRIFT_T_NEEDS_GRAD | DRIFT_T_PARAM;
        drift_tensor *h = drift_silu(g, drift_group_norm(g, drift_graph_wrap(g, x, 3, sx), gt, NULL, 4, 1e-5f));
        drift_tensor *a = drift_attention(g, h, h, h, 2, drift_graph_wrap(g, mask, 2, sm));
        drift_tensor *loss = drift_mse(g, a, drift_graph_wrap(g, target, 3, sx), NULL);
        CHECK(drift_graph_backward(g, loss) == DRIFT_OK, "step %d: %s", step, drift_graph_error(g));
        if (step == 1)
            allocs = drift_graph_system_allocs(g);
        if (step == 2)
            CHECK(drift_graph_system_allocs(g) == allocs, "steady-state step allocated (%zu -> %zu)", allocs,
                  drift_graph_system_allocs(g));
    }
    drift_graph_free(g);
    free(x);
    free(gamma);
    free(target);
}

static void test_threads(void)
{
    int side = light() ? 16 : 32;
    int sx[4] = {4, 64, side, side}, c64[1] = {64};
    size_t n = (size_t)4 * 64 * side * side;
    float *x = randn(n, 20, 2.0f, 1.0f), *gamma = randn(64, 21, 1, 1), *beta = randn(64, 22, 1, 0);
    gn_ctx c = {32, true, true};
    gradcheck_input gin[3] = {input(4, sx, x, true), input(1, c64, gamma, true), input(1, c64, beta, true)};
    thread_check("group_norm", op_group_norm, &c, 3, gin);

    int len = light() ? 64 : 256, sq[3] = {2, len, 64}, sm[2] = {2, len};
    float *q = randn((size_t)2 * len * 64, 23, 1, 0), *mask = malloc((size_t)2 * len * sizeof *mask);
    for (int i = 0; i < 2 * len; i++)
        mask[i] = (float)(i % 7 != 3);
    gradcheck_input ain[2] = {input(3, sq, q, true), input(2, sm, mask, false)};
    attn_ctx a = {4, true, true};
    thread_check("self-attention", op_attention, &a, 2, ain);
    free(x);
    free(gamma);
    free(beta);
    free(q);
    free(mask);
}

int main(void)
{
    test_group_norm_gradients();
    test_group_norm_offset();
    test_group_norm_silu();
    test_attention_gradients();
    test_golden();
    test_bad_arguments();
    test_steady_state();
    test_threads();
    return test_finish("test_ops_norm_attn");
}
