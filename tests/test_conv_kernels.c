/* test_conv_kernels.c: drift_conv through each of its paths (AVX-512
 * direct kernels, the same kernels in portable scalar form, im2col + GEMM)
 * against a double-precision convolution written out here, and against the
 * PyTorch golden data (tests/golden/make_ops_conv.py); results bit-identical
 * for 1 and 2 threads; weights that do not train are packed once per graph
 * and repacked when they change. */
#include "conv_kernels.h"
#include "drift.h"
#include "op_conv.h"
#include "conv_cases.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* float32 sums of up to a few thousand products against float64. */
#define REF_TOL 2e-5
#define GOLDEN_TOL 1e-4

enum { PATH_AVX512, PATH_SCALAR, PATH_IM2COL, N_PATHS };
static const char *path_names[N_PATHS] = {"avx512", "scalar", "im2col"};

/* False (and a note) when the path cannot run on this CPU. */
static bool select_path(int path)
{
    drift_conv_direct_enable(path != PATH_IM2COL);
    drift_conv_direct_force_scalar(path == PATH_SCALAR);
    if (path == PATH_AVX512 && !drift_conv_direct_available()) {
        printf("note: no AVX-512 on this CPU, its kernels are not tested here\n");
        return false;
    }
    return true;
}

typedef struct shape {
    int n, cin, cout, h, w, kh, kw; /* h = 0: 1-D (N,C,L) */
} shape;

typedef struct conv_data {
    shape s;
    int hh, kkh;                      /* h and kh, 1 for 1-D */
    float *x, *w, *b, *gy;            /* inputs, upstream gradient */
    double *y, *gx, *gw, *gb;         /* reference results */
} conv_data;

static float *random_floats(drift_rng *r, size_t n)
{
    float *p = malloc(n * sizeof(float));
    drift_rng_normal(r, p, n);
    return p;
}

/* Reference "same" convolution and its gradients in double. */
static void reference(conv_data *d)
{
    const shape *s = &d->s;
    int H = d->hh, W = s->w, KH = d->kkh, KW = s->kw, ph = KH / 2, pw = KW / 2;
    size_t hw = (size_t)H * W;
    for (int n = 0; n < s->n; n++)
        for (int o = 0; o < s->cout; o++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < W; j++) {
                    size_t yi = ((size_t)n * s->cout + o) * hw + (size_t)i * W + j;
                    double acc = d->b[o], g = d->gy[yi];
                    d->gb[o] += g;
                    for (int c = 0; c < s->cin; c++)
                        for (int a = 0; a < KH; a++)
                            for (int e = 0; e < KW; e++) {
                                int ii = i + a - ph, jj = j + e - pw;
                                if (ii < 0 || ii >= H || jj < 0 || jj >= W)
                                    continue;
                                size_t xi = ((size_t)n * s->cin + c) * hw + (size_t)ii * W + jj;
                                size_t wi = (((size_t)o * s->cin + c) * KH + a) * KW + e;
                                acc += (double)d->w[wi] * d->x[xi];
                                d->gx[xi] += (double)d->w[wi] * g;
                                d->gw[wi] += (double)d->x[xi] * g;
                            }
                    d->y[yi] = acc;
                }
}

static void make_data(conv_data *d, const shape *s, uint64_t seed)
{
    drift_rng r;
    drift_rng_init(&r, seed, 7);
    d->s = *s;
    d->hh = s->h ? s->h : 1;
    d->kkh = s->h ? s->kh : 1;
    size_t nx = (size_t)s->n * s->cin * d->hh * s->w, ny = (size_t)s->n * s->cout * d->hh * s->w;
    size_t nw = (size_t)s->cout * s->cin * d->kkh * s->kw;
    d->x = random_floats(&r, nx);
    d->w = random_floats(&r, nw);
    d->b = random_floats(&r, (size_t)s->cout);
    d->gy = random_floats(&r, ny);
    d->y = calloc(ny, sizeof(double));
    d->gx = calloc(nx, sizeof(double));
    d->gw = calloc(nw, sizeof(double));
    d->gb = calloc((size_t)s->cout, sizeof(double));
    reference(d);
}

static void free_data(conv_data *d)
{
    free(d->x), free(d->w), free(d->b), free(d->gy);
    free(d->y), free(d->gx), free(d->gw), free(d->gb);
}

static double rel_to_double(const float *got, const double *want, size_t n)
{
    double worst = 0, scale = 1e-3;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(want[i]));
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(got[i] - want[i]) / scale);
    return worst;
}

/* Results of one run: y, gx, gw, gb (malloc'd, caller frees). */
typedef struct run_out {
    float *y, *gx, *gw, *gb;
} run_out;

static run_out run_conv(const conv_data *d)
{
    const shape *s = &d->s;
    int nd = s->h ? 4 : 3;
    int xs[4] = {s->n, s->cin, d->hh, s->w}, ws[4] = {s->cout, s->cin, d->kkh, s->kw};
    if (nd == 3)
        xs[2] = s->w, ws[2] = s->kw;
    drift_graph *g = drift_graph_create();
    drift_tensor *x = drift_graph_wrap(g, d->x, nd, xs), *w = drift_graph_wrap(g, d->w, nd, ws);
    drift_tensor *b = drift_graph_wrap(g, d->b, 1, &s->cout);
    size_t nx = x->numel, nw = w->numel;
    run_out o = {NULL, calloc(nx, sizeof(float)), calloc(nw, sizeof(float)),
                 calloc((size_t)s->cout, sizeof(float))};
    x->grad = o.gx, w->grad = o.gw, b->grad = o.gb;
    x->flags |= DRIFT_T_NEEDS_GRAD, w->flags |= DRIFT_T_NEEDS_GRAD, b->flags |= DRIFT_T_NEEDS_GRAD;
    drift_tensor *y = drift_conv(g, x, w, b, 1, s->kw / 2);
    CHECK(y != NULL, "conv runs: %s", drift_graph_error(g));
    if (y) {
        o.y = malloc(y->numel * sizeof(float));
        memcpy(o.y, y->data, y->numel * sizeof(float));
        memcpy(drift_grad(g, y), d->gy, y->numel * sizeof(float));
        CHECK(drift_graph_backward_from(g, y) == DRIFT_OK, "backward: %s", drift_graph_error(g));
    }
    drift_graph_free(g);
    return o;
}

static void free_run(run_out *o) { free(o->y), free(o->gx), free(o->gw), free(o->gb); }

static bool same_bits(const float *a, const float *b, size_t n)
{
    return a && b && memcmp(a, b, n * sizeof(float)) == 0;
}

/* Every path against the double reference; the direct paths also with one
 * and two threads, bit for bit. */
static void check_shape(const shape *s, uint64_t seed)
{
    conv_data d;
    make_data(&d, s, seed);
    size_t ny = (size_t)s->n * s->cout * d.hh * s->w, nx = (size_t)s->n * s->cin * d.hh * s->w;
    size_t nw = (size_t)s->cout * s->cin * d.kkh * s->kw;
    char name[96];
    snprintf(name, sizeof name, "n%d %d->%d %dx%d k%dx%d", s->n, s->cin, s->cout, d.hh, s->w, d.kkh, s->kw);
    for (int p = 0; p < N_PATHS; p++) {
        if (!select_path(p))
            continue;
        drift_set_threads(2);
        run_out o = run_conv(&d);
        if (o.y) {
            double ey = rel_to_double(o.y, d.y, ny), ex = rel_to_double(o.gx, d.gx, nx);
            double ew = rel_to_double(o.gw, d.gw, nw), eb = rel_to_double(o.gb, d.gb, (size_t)s->cout);
            CHECK(ey <= REF_TOL, "%s %s: y error %.3g", name, path_names[p], ey);
            CHECK(ex <= REF_TOL, "%s %s: dx error %.3g", name, path_names[p], ex);
            CHECK(ew <= REF_TOL, "%s %s: dw error %.3g", name, path_names[p], ew);
            CHECK(eb <= REF_TOL, "%s %s: db error %.3g", name, path_names[p], eb);
        }
        drift_set_threads(1);
        run_out one = run_conv(&d);
        CHECK(same_bits(o.y, one.y, ny) && same_bits(o.gx, one.gx, nx) && same_bits(o.gw, one.gw, nw) &&
                  same_bits(o.gb, one.gb, (size_t)s->cout),
              "%s %s: 1 and 2 threads give the same bits", name, path_names[p]);
        free_run(&one);
        free_run(&o);
    }
    drift_set_threads(0);
    free_data(&d);
}

static void test_reference_shapes(void)
{
    static const shape shapes[] = {
        {2, 32, 32, 32, 32, 3, 3},  /* the U-Net's top level */
        {3, 16, 8, 16, 16, 3, 3},   /* 16 vectors: five forward groups of 3 and one of 1 */
        {2, 8, 12, 8, 8, 3, 3},     /* 4 vectors: a group of 3 and one of 1; 12 = 8 + 4 channels */
        {2, 8, 9, 5, 5, 3, 3},      /* a plane smaller than a group (2 vectors); 9 = 8 + 1 */
        {2, 5, 3, 7, 6, 3, 3},      /* planes not a multiple of 16, channels not of 8 */
        {1, 3, 1, 33, 35, 3, 3},    /* one output channel (conv_out) */
        {2, 6, 4, 5, 5, 1, 1},      /* 1x1 */
        {2, 3, 2, 0, 20, 0, 5},     /* 1-D, 5 taps */
        {1, 2, 3, 9, 11, 5, 5},     /* 5x5 */
        {2, 80, 32, 0, 128, 0, 3},  /* 1-D, the spectrogram U-Net's input */
        {3, 4, 5, 0, 37, 0, 3},     /* 1-D, odd length */
        {2, 5, 11, 0, 37, 0, 3},    /* 1-D, output channels not a multiple of the dW tile's 8 */
        {2, 5, 4, 7, 6, 3, 3},      /* output channels not a multiple of the dW tile's 3 */
        {1, 70, 6, 3, 100, 3, 3},   /* input copied in several channel slices */
        {1, 2, 4, 3, 4200, 3, 3},   /* rows too long to copy: planes read in place */
        {2, 96, 8, 0, 256, 0, 3},   /* spans of 4 groups on 1 thread, of 1 on 2: the same channel slices */
    };
    size_t count = sizeof shapes / sizeof *shapes;
    for (size_t i = 0; i < count; i++)
        check_shape(&shapes[i], 100 + i);
}

/* ---- PyTorch golden data through every path ---------------------------- */

static void golden_conv(const golden_file *gf, const char *c)
{
    static const char *keys[4] = {"x", "w", "b", "args"}, *gk[3] = {"gx", "gw", "gb"};
    const golden_tensor *t[4], *want[3], *gy, *y_ref;
    char name[64];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s.%s", c, keys[i]);
        t[i] = NULL;
        for (int k = 0; k < gf->count; k++)
            if (strcmp(gf->t[k].name, name) == 0)
                t[i] = &gf->t[k];
    }
    snprintf(name, sizeof name, "%s.y", c);
    y_ref = golden_get(gf, name);
    snprintf(name, sizeof name, "%s.gy", c);
    gy = golden_get(gf, name);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s.%s", c, gk[i]);
        want[i] = t[i] ? golden_get(gf, name) : NULL;
    }
    if (!t[0] || !t[1] || !t[3] || !y_ref || !gy)
        return;
    drift_graph *g = drift_graph_create();
    drift_tensor *in[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++)
        if (t[i]) {
            in[i] = drift_graph_wrap(g, t[i]->data, t[i]->ndim, t[i]->dims);
            in[i]->grad = calloc(t[i]->n, sizeof(float));
            in[i]->flags |= DRIFT_T_NEEDS_GRAD;
        }
    drift_tensor *y = drift_conv(g, in[0], in[1], in[2], (int)t[3]->data[0], (int)t[3]->data[1]);
    CHECK(y && y->numel == y_ref->n, "%s: runs with the right size", c);
    if (y && y->numel == y_ref->n) {
        double e = rel_error(y->data, y_ref->data, y_ref->n, 1e-6);
        CHECK(e <= GOLDEN_TOL, "%s: y error %.3g", c, e);
        memcpy(drift_grad(g, y), gy->data, gy->n * sizeof(float));
        CHECK(drift_graph_backward_from(g, y) == DRIFT_OK, "%s backward", c);
        for (int i = 0; i < 3; i++)
            if (in[i] && want[i]) {
                e = rel_error(in[i]->grad, want[i]->data, want[i]->n, 1e-6);
                CHECK(e <= GOLDEN_TOL, "%s: %s error %.3g", c, gk[i], e);
            }
    }
    for (int i = 0; i < 3; i++)
        if (in[i])
            free(in[i]->grad);
    drift_graph_free(g);
}

static void test_golden(void)
{
    golden_file gf;
    CHECK(golden_load(&gf, test_path("golden/ops_conv.bin")), "golden file loads");
    for (int p = 0; p < N_PATHS; p++) {
        if (!select_path(p))
            continue;
        for (size_t i = 0; i < N_CONV_CASES; i++)
            golden_conv(&gf, conv_cases[i]);
    }
    golden_free(&gf);
}

/* y of a conv with fixed weights in graph g (reset first), malloc'd. */
static float *fixed_conv(drift_graph *g, const conv_data *d)
{
    const shape *s = &d->s;
    int xs[4] = {s->n, s->cin, d->hh, s->w}, ws[4] = {s->cout, s->cin, d->kkh, s->kw};
    drift_graph_reset(g);
    drift_tensor *y = drift_conv(g, drift_graph_wrap(g, d->x, 4, xs), drift_graph_wrap(g, d->w, 4, ws),
                                 drift_graph_wrap(g, d->b, 1, &s->cout), 1, s->kw / 2);
    CHECK(y != NULL, "fixed-weight conv runs: %s", drift_graph_error(g));
    float *out = y ? malloc(y->numel * sizeof(float)) : NULL;
    if (out)
        memcpy(out, y->data, y->numel * sizeof(float));
    return out;
}

static void test_fixed_weights(void)
{
    if (!select_path(PATH_AVX512) && !select_path(PATH_SCALAR))
        return;
    shape s = {2, 8, 12, 8, 8, 3, 3};
    conv_data d;
    make_data(&d, &s, 77);
    size_t ny = (size_t)s.n * s.cout * s.h * s.w;
    drift_graph *g = drift_graph_create(), *fresh = drift_graph_create();
    float *first = fixed_conv(g, &d), *again = fixed_conv(g, &d);
    CHECK(same_bits(first, again, ny), "a second run with the kept packing gives the same bits");
    d.w[5] += 1.0f; /* the weights change between runs of one graph */
    float *changed = fixed_conv(g, &d), *want = fixed_conv(fresh, &d);
    CHECK(same_bits(changed, want, ny) && !same_bits(changed, first, ny),
          "changed weights are repacked: the graph's result matches a fresh graph's");
    free(first), free(again), free(changed), free(want);
    drift_graph_free(g);
    drift_graph_free(fresh);
    free_data(&d);
}

int main(void)
{
    test_reference_shapes();
    test_fixed_weights();
    test_golden();
    drift_conv_direct_enable(true);
    drift_conv_direct_force_scalar(false);
    return test_finish("test_conv_kernels");
}
