/* test_classifier.c: the classifier's pieces and the classifier itself:
 * global average pooling and cross-entropy (finite differences and PyTorch
 * golden data), the Jacobi eigen-solver and the Frechet distance (against
 * scipy.linalg.sqrtm), the whole CNN against PyTorch, the CNN learning small separable problems in 1-D
 * and 2-D, its model files, bad input, and the Fashion-MNIST classifier
 * reaching a stated accuracy on a subset. */
#include "classifier.h"
#include "drift.h"
#include "frechet.h"
#include "gradcheck.h"
#include "op_pool.h"
#include "op_xent.h"
#include "testutil.h"
#include "vision/classify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FD_TOL 2e-2
#define GOLDEN_TOL 1e-5

static bool light(void)
{
    return getenv("DRIFT_TEST_LIGHT") != NULL;
}

/* ---- operators ---------------------------------------------------------- */

static drift_tensor *op_pool(drift_graph *g, drift_tensor **in, void *ctx)
{
    (void)ctx;
    return drift_global_avg_pool(g, in[0]);
}

static drift_tensor *op_xent(drift_graph *g, drift_tensor **in, void *ctx)
{
    return drift_cross_entropy(g, in[0], ctx);
}

/* Forward and backward of f on x with upstream gradient gy; copies the
 * output into out and x's gradient into gx. */
static bool run_op(gradcheck_fn f, void *ctx, const golden_tensor *x, const float *gy, float *out, float *gx)
{
    drift_graph *g = drift_graph_create();
    float *copy = malloc(x->n * sizeof *copy);
    memcpy(copy, x->data, x->n * sizeof *copy);
    memset(gx, 0, x->n * sizeof *gx);
    drift_tensor *t = drift_graph_wrap(g, copy, x->ndim, x->dims);
    t->grad = gx;
    t->flags |= DRIFT_T_NEEDS_GRAD | DRIFT_T_PARAM;
    drift_tensor *y = f(g, &t, ctx);
    if (y) {
        memcpy(out, y->data, y->numel * sizeof *out);
        memcpy(drift_grad(g, y), gy, y->numel * sizeof *gy);
        drift_graph_backward_from(g, y);
    }
    bool ok = drift_graph_status(g) == DRIFT_OK && y;
    drift_graph_free(g);
    free(copy);
    return ok;
}

static void golden_op(const golden_file *gf, const char *tag, const char *xname, gradcheck_fn f, void *ctx)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", tag, xname);
    const golden_tensor *x = golden_get(gf, name);
    snprintf(name, sizeof name, "%s.out", tag);
    const golden_tensor *want = golden_get(gf, name);
    snprintf(name, sizeof name, "%s.gy", tag);
    const golden_tensor *gy = golden_get(gf, name);
    snprintf(name, sizeof name, "%s.g%s", tag, xname);
    const golden_tensor *gwant = golden_get(gf, name);
    if (!x || !want || !gy || !gwant)
        return;
    float *out = malloc(want->n * sizeof *out), *gx = malloc(x->n * sizeof *gx);
    bool ok = run_op(f, ctx, x, gy->data, out, gx);
    CHECK(ok, "%s ran: %s", tag, drift_last_error());
    if (ok) {
        double e1 = rel_error(out, want->data, want->n, 1e-6), e2 = rel_error(gx, gwant->data, x->n, 1e-6);
        CHECK(e1 <= GOLDEN_TOL, "%s: output differs from torch by %g", tag, e1);
        CHECK(e2 <= GOLDEN_TOL, "%s: gradient differs from torch by %g", tag, e2);
    }
    free(out), free(gx);
}

static void labels_of(const golden_file *gf, const char *tag, int *labels)
{
    char name[64];
    snprintf(name, sizeof name, "%s.labels", tag);
    const golden_tensor *t = golden_get(gf, name);
    for (size_t i = 0; t && i < t->n; i++)
        labels[i] = (int)t->data[i];
}

static void test_ops_golden(void)
{
    golden_file gf;
    CHECK(golden_load(&gf, test_path("golden/ops_cls.bin")), "golden/ops_cls.bin loads");
    golden_op(&gf, "pool1", "x", op_pool, NULL);
    golden_op(&gf, "pool2", "x", op_pool, NULL);
    int labels[6] = {0};
    labels_of(&gf, "xent", labels);
    golden_op(&gf, "xent", "logits", op_xent, labels);
    labels_of(&gf, "xent_big", labels);
    golden_op(&gf, "xent_big", "logits", op_xent, labels);
    golden_free(&gf);
}

static void test_ops_gradcheck(void)
{
    drift_rng r;
    drift_rng_init(&r, 11, 0);
    float x1[2 * 3 * 7], x2[2 * 4 * 3 * 5], logits[5 * 4];
    drift_rng_normal(&r, x1, 42);
    drift_rng_normal(&r, x2, 120);
    drift_rng_normal(&r, logits, 20);
    gradcheck_input p1 = {3, {2, 3, 7, 1}, x1, true}, p2 = {4, {2, 4, 3, 5}, x2, true};
    gradcheck_input lg = {2, {5, 4, 1, 1}, logits, true};
    int labels[5] = {3, 0, 1, 1, 2};
    double e;
    e = gradcheck("pool1", op_pool, NULL, 1, &p1, 1e-2, 200, 1e-3, 1e-3);
    CHECK(e <= 1e-3, "pool 1-D gradcheck: %g", e);
    e = gradcheck("pool2", op_pool, NULL, 1, &p2, 1e-2, 200, 1e-3, 1e-3);
    CHECK(e <= 1e-3, "pool 2-D gradcheck: %g", e);
    e = gradcheck("xent", op_xent, labels, 1, &lg, 1e-2, 200, 1e-3, 1e-3);
    CHECK(e <= 1e-3, "cross-entropy gradcheck: %g", e);
}

static void test_ops_errors(void)
{
    drift_graph *g = drift_graph_create();
    int s2[2] = {3, 4}, labels[3] = {0, 4, 1};
    drift_tensor *x = drift_graph_zeros(g, 2, s2);
    CHECK(!drift_global_avg_pool(g, x) && drift_graph_status(g) == DRIFT_ERR_SHAPE, "pool refuses (N,C)");
    drift_graph_reset(g);
    x = drift_graph_zeros(g, 2, s2);
    CHECK(!drift_cross_entropy(g, x, labels) && drift_graph_status(g) == DRIFT_ERR_ARG &&
              strstr(drift_graph_error(g), "label 4 of sample 1"),
          "cross-entropy refuses a label out of range: %s", drift_graph_error(g));
    drift_graph_free(g);
}

/* ---- eigen-solver and Frechet distance ---------------------------------- */

static void test_eigen(void)
{
    enum { N = 12 };
    double a[N * N], work[N * N], w[N], v[N * N];
    drift_rng r;
    drift_rng_init(&r, 5, 0);
    for (int i = 0; i < N; i++)
        for (int j = 0; j <= i; j++)
            a[i * N + j] = a[j * N + i] = drift_rng_uniform(&r) - 0.5;
    memcpy(work, a, sizeof a);
    CHECK(drift_sym_eigen(work, N, w, v) == DRIFT_OK, "eigen: %s", drift_last_error());
    double worst = 0, orth = 0;
    for (int k = 0; k < N; k++)
        for (int i = 0; i < N; i++) { /* (A v_k)_i = w_k v_ik */
            double s = 0;
            for (int j = 0; j < N; j++)
                s += a[i * N + j] * v[j * N + k];
            worst = fmax(worst, fabs(s - w[k] * v[i * N + k]));
        }
    for (int k = 0; k < N; k++)
        for (int l = 0; l < N; l++) {
            double s = 0;
            for (int i = 0; i < N; i++)
                s += v[i * N + k] * v[i * N + l];
            orth = fmax(orth, fabs(s - (k == l)));
        }
    bool sorted = true;
    for (int k = 1; k < N; k++)
        sorted = sorted && w[k - 1] <= w[k];
    CHECK(worst < 1e-12 && orth < 1e-12 && sorted, "A v = w v to %g, V orthonormal to %g, sorted %d", worst,
          orth, sorted);
    a[3] = NAN;
    CHECK(drift_sym_eigen(a, N, w, NULL) == DRIFT_ERR_NUMERIC, "NaN refused");
}

static void test_frechet_golden(void)
{
    golden_file gf;
    if (!golden_load(&gf, test_path("golden/ops_cls.bin")))
        return;
    const char *tags[2] = {"fd8", "fd24"};
    for (int t = 0; t < 2; t++) {
        char na[32], nb[32], nd[32];
        snprintf(na, sizeof na, "%s.a", tags[t]), snprintf(nb, sizeof nb, "%s.b", tags[t]);
        snprintf(nd, sizeof nd, "%s.d", tags[t]);
        const golden_tensor *a = golden_get(&gf, na), *b = golden_get(&gf, nb), *d = golden_get(&gf, nd);
        if (!a || !b || !d)
            continue;
        double fd = -1, self = -1;
        CHECK(drift_frechet_distance(a->data, a->dims[0], b->data, b->dims[0], a->dims[1], &fd) == DRIFT_OK,
              "%s: %s", tags[t], drift_last_error());
        CHECK(fabs(fd - d->data[0]) <= 1e-5 * fabs(d->data[0]), "%s: %.8g, scipy %.8g", tags[t], fd,
              (double)d->data[0]);
        CHECK(drift_frechet_distance(a->data, a->dims[0], a->data, a->dims[0], a->dims[1], &self) == DRIFT_OK &&
                  fabs(self) < 1e-6 * fd,
              "%s: a set against itself: %g", tags[t], self);
    }
    golden_free(&gf);
    float one[4] = {1, 2, 3, 4};
    double fd;
    CHECK(drift_frechet_distance(one, 1, one, 4, 1, &fd) == DRIFT_ERR_ARG, "one sample refused");
}

/* ---- the CNN ------------------------------------------------------------ */

/* The whole network against PyTorch with the same weights: logits and
 * pooled embedding, 1-D and 2-D, odd sizes. */
static void golden_classifier(const golden_file *gf, const char *tag, int dims, int cin)
{
    drift_classifier_config cfg = drift_classifier_config_default(dims, cin, 5);
    cfg.base_channels = 8, cfg.groups = 4;
    drift_classifier *c;
    CHECK(drift_classifier_create(&cfg, 0, &c) == DRIFT_OK, "%s: %s", tag, drift_last_error());
    drift_params *p = drift_classifier_params(c);
    char name[96];
    for (size_t i = 0; i < drift_params_count(p); i++) {
        drift_tensor *t = drift_params_get(p, i);
        snprintf(name, sizeof name, "%s.%s", tag, t->name);
        const golden_tensor *g = golden_get(gf, name);
        CHECK(g && g->n == t->numel, "%s: parameter %s in the golden file", tag, t->name);
        if (g && g->n == t->numel)
            memcpy(t->data, g->data, t->numel * sizeof *t->data);
    }
    snprintf(name, sizeof name, "%s.x", tag);
    const golden_tensor *x = golden_get(gf, name);
    snprintf(name, sizeof name, "%s.logits", tag);
    const golden_tensor *want_l = golden_get(gf, name);
    snprintf(name, sizeof name, "%s.emb", tag);
    const golden_tensor *want_e = golden_get(gf, name);
    if (!x || !want_l || !want_e) {
        drift_classifier_free(c);
        return;
    }
    int spatial[2] = {x->dims[2], dims == 2 ? x->dims[3] : 1}, n = x->dims[0];
    float logits[2 * 5], emb[2 * 32];
    CHECK(drift_classifier_embed_dim(c) == 32 && want_e->n == 2 * 32 && want_l->n == 2 * 5 && n == 2,
          "%s: sizes", tag);
    CHECK(drift_classifier_run(c, x->data, n, spatial, logits, emb, NULL) == DRIFT_OK, "%s: %s", tag,
          drift_last_error());
    double el = rel_error(logits, want_l->data, 10, 1e-6), ee = rel_error(emb, want_e->data, 64, 1e-6);
    CHECK(el <= 1e-4 && ee <= 1e-4, "%s: logits differ from torch by %g, embedding by %g", tag, el, ee);
    drift_classifier_free(c);
}

static void test_classifier_golden(void)
{
    golden_file gf;
    if (!golden_load(&gf, test_path("golden/ops_cls.bin")))
        return;
    golden_classifier(&gf, "cls1", 1, 3);
    golden_classifier(&gf, "cls2", 2, 2);
    golden_free(&gf);
}

/* 1-D: class 0 a slow sine, class 1 a fast one, random phase and noise;
 * 2-D: class 0 horizontal stripes, class 1 vertical, class 2 checkers. */
static void make_problem(int dims, int n, int side, float *x, int *labels, uint64_t seed)
{
    drift_rng r;
    drift_rng_init(&r, seed, 0);
    int k = dims == 1 ? 2 : 3, per = dims == 1 ? 2 * side : side * side;
    for (int i = 0; i < n; i++) {
        int c = labels[i] = (int)drift_rng_below(&r, (uint32_t)k);
        double ph = 6.283 * drift_rng_uniform(&r);
        float *s = x + (size_t)i * per;
        drift_rng_normal(&r, s, (size_t)per);
        for (int p = 0; p < per; p++) {
            int u = p % side, v = p / side;
            double val = dims == 1 ? sin((c ? 1.5 : 0.4) * u + ph + v)
                         : c == 0 ? sin(1.2 * v + ph) : c == 1 ? sin(1.2 * u + ph) : sin(1.2 * u + ph) * sin(1.2 * v);
            s[p] = (float)(0.5 * s[p] + val);
        }
    }
}

static drift_classifier *train_problem(int dims, int n, int side, double *acc)
{
    int k = dims == 1 ? 2 : 3, per = dims == 1 ? 2 * side : side * side;
    int spatial[2] = {side, side}, *labels = malloc(2 * (size_t)n * sizeof *labels);
    float *x = malloc(2 * (size_t)n * per * sizeof *x);
    make_problem(dims, 2 * n, side, x, labels, 9);
    drift_classifier_config cfg = drift_classifier_config_default(dims, dims == 1 ? 2 : 1, k);
    cfg.base_channels = 8, cfg.groups = 4;
    drift_classifier *c = NULL;
    drift_classifier_train_options o;
    drift_classifier_train_defaults(&o);
    o.epochs = 8, o.batch = 32, o.lr = 3e-3;
    drift_status s = drift_classifier_create(&cfg, 1, &c);
    if (!s)
        s = drift_classifier_train(c, x, labels, n, spatial, &o);
    CHECK(!s, "%d-D training: %s", dims, drift_last_error());
    *acc = 0;
    if (!s) /* held out: the second half */
        drift_classifier_accuracy(c, x + (size_t)n * per, labels + n, n, spatial, NULL, acc);
    free(x), free(labels);
    return c;
}

static void test_learns(void)
{
    double acc1, acc2;
    drift_classifier *c1 = train_problem(1, 256, 32, &acc1);
    CHECK(acc1 >= 0.95, "1-D: held-out accuracy %.3f (chance 0.5)", acc1);
    drift_classifier *c2 = train_problem(2, light() ? 192 : 384, 16, &acc2);
    CHECK(acc2 >= 0.95, "2-D: held-out accuracy %.3f (chance 0.33)", acc2);
    drift_classifier_free(c1);
    drift_classifier_free(c2);
}

static void test_files(const char *dir)
{
    char path[512], bad[512];
    snprintf(path, sizeof path, "%s/cls.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/plain.safetensors", dir);
    char *names[3] = {"stripes", "bars", "checks"};
    drift_classifier_config cfg = drift_classifier_config_default(2, 1, 3);
    cfg.class_names = names, cfg.in_mean = 0.25f, cfg.in_std = 2.0f;
    drift_classifier *c, *back = NULL;
    CHECK(drift_classifier_create(&cfg, 3, &c) == DRIFT_OK, "create: %s", drift_last_error());
    CHECK(drift_classifier_save(c, path) == DRIFT_OK, "save: %s", drift_last_error());
    CHECK(drift_classifier_load(path, &back) == DRIFT_OK, "load: %s", drift_last_error());
    float x[2 * 12 * 12], l1[6], l2[6], e1[2 * 64], e2[2 * 64];
    drift_rng r;
    drift_rng_init(&r, 1, 0);
    drift_rng_normal(&r, x, 288);
    int spatial[2] = {12, 12};
    if (back) {
        CHECK(drift_classifier_run(c, x, 2, spatial, l1, e1, NULL) == DRIFT_OK &&
                  drift_classifier_run(back, x, 2, spatial, l2, e2, NULL) == DRIFT_OK &&
                  !memcmp(l1, l2, sizeof l1) && !memcmp(e1, e2, sizeof e1),
              "loaded classifier gives the same logits and embeddings");
        CHECK(drift_classifier_class_name(back, 2) && !strcmp(drift_classifier_class_name(back, 2), "checks") &&
                  drift_classifier_get_config(back)->in_std == 2.0f,
              "names and normalisation travel in the file");
    }
    drift_classifier_free(back);
    float v[2] = {1, 2};
    drift_st_entry e = {"w", 1, (int[]){2}, v, DRIFT_ST_F32};
    drift_safetensors_write(bad, &e, 1, NULL, 0);
    back = NULL;
    CHECK(drift_classifier_load(bad, &back) == DRIFT_ERR_FORMAT && !back && strstr(drift_last_error(), bad),
          "a plain safetensors file is refused naming it: %s", drift_last_error());
    int labels[2] = {0, 3};
    drift_classifier_train_options o;
    drift_classifier_train_defaults(&o);
    CHECK(drift_classifier_train(c, x, labels, 2, spatial, &o) == DRIFT_ERR_ARG, "label 3 of 3 classes refused");
    drift_classifier_free(c);
    cfg.groups = 5;
    CHECK(drift_classifier_create(&cfg, 0, &c) == DRIFT_ERR_ARG && !c, "groups must divide channels");
    unlink(path), unlink(bad);
}

/* The Fashion-MNIST classifier on a subset: a stated floor of accuracy
 * on 1,000 test pictures after a short training. */
static void test_fashion_subset(void)
{
    drift_image_set train, test;
    int n_train = light() ? 300 : 1000, n_test = light() ? 500 : 1000;
    if (drift_image_set_fashion_mnist(NULL, true, 32, n_train, &train) != DRIFT_OK) {
        CHECK(false, "Fashion-MNIST (dataset-fashion-mnist) is needed: %s", drift_last_error());
        return;
    }
    CHECK(drift_image_set_fashion_mnist(NULL, false, 32, n_test, &test) == DRIFT_OK, "test split");
    drift_classifier_train_options o;
    drift_classifier_train_defaults(&o);
    o.epochs = 4, o.batch = light() ? 16 : 32, o.lr = 3e-3, o.flip_last = true;
    drift_classifier *c;
    double acc = 0;
    CHECK(drift_image_classifier_train(&train, &o, &c) == DRIFT_OK, "train: %s", drift_last_error());
    CHECK(drift_image_classifier_accuracy(c, &test, NULL, &acc) == DRIFT_OK, "%s", drift_last_error());
    double floor = light() ? 0.35 : 0.6; /* chance: 0.1 */
    printf("Fashion-MNIST: %d training pictures x 4 epochs -> %.1f%% on %d test pictures\n", n_train, 100 * acc,
           n_test);
    CHECK(acc >= floor, "test accuracy %.3f below %.2f", acc, floor);
    drift_classifier_free(c);
    drift_image_set_free(&train);
    drift_image_set_free(&test);
}

int main(void)
{
    char dir[] = "/tmp/drift_cls_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    test_ops_golden();
    test_ops_gradcheck();
    test_ops_errors();
    test_eigen();
    test_frechet_golden();
    test_classifier_golden();
    test_learns();
    test_files(dir);
    test_fashion_subset();
    rmdir(dir);
    return test_finish("test_classifier");
}
