/* test_unet.c: the whole ref U-Net against PyTorch (tests/golden/make_unet.py):
 * output, loss and the gradients of the input and of every parameter, in
 * 1-D and 2-D, with and without class and tag conditioning. Also checks the
 * parameter counts the benchmarks rely on and that the time embedding
 * reaches every residual block. */
#include "detinit.h"
#include "drift.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-3

typedef struct {
    const char *name;
    int dims, channels, batch, spatial[2], classes, vocab, ctx_dim, tags;
} unet_case;

static const unet_case cases[] = {
    {"img", 2, 1, 2, {32, 32}, 0, 0, 0, 0},
    {"imgc", 2, 1, 3, {16, 16}, 10, 12, 16, 3},
    {"spec", 1, 80, 2, {64, 0}, 0, 0, 0, 0},
    {"specc", 1, 8, 3, {32, 0}, 0, 12, 16, 3},
};

static const golden_tensor *get(const golden_file *gf, const char *c, const char *what)
{
    char key[256];
    snprintf(key, sizeof key, "%.60s.%.180s", c, what);
    return golden_get(gf, key);
}

static void run_case(const golden_file *gf, const unet_case *uc)
{
    drift_unet_config cfg = drift_unet_ref_config(uc->dims, uc->channels);
    cfg.n_classes = uc->classes;
    cfg.vocab_size = uc->vocab;
    cfg.ctx_dim = uc->ctx_dim;
    cfg.max_tags = uc->tags;
    drift_unet *u = NULL;
    CHECK(drift_unet_create(&cfg, 1, &u) == DRIFT_OK, "create: %s", drift_last_error());
    if (!u)
        return;
    drift_params *p = drift_unet_params(u);
    for (size_t i = 0; i < drift_params_count(p); i++) {
        drift_tensor *t = drift_params_get(p, i);
        detinit_param(t, t->name);
    }
    const golden_tensor *gx = get(gf, uc->name, "x"), *gt = get(gf, uc->name, "t");
    const golden_tensor *gtarget = get(gf, uc->name, "target"), *gout = get(gf, uc->name, "out");
    const golden_tensor *gloss = get(gf, uc->name, "loss"), *gxgrad = get(gf, uc->name, "xgrad");
    if (!gx || !gt || !gtarget || !gout || !gloss || !gxgrad) {
        drift_unet_free(u);
        return;
    }
    int class_ids[8], tag_ids[32];
    drift_unet_cond cond = {0};
    if (uc->classes) {
        const golden_tensor *c = get(gf, uc->name, "class_ids");
        for (size_t i = 0; c && i < c->n; i++)
            class_ids[i] = (int)c->data[i];
        cond.class_ids = class_ids;
    }
    if (uc->vocab) {
        const golden_tensor *c = get(gf, uc->name, "tag_ids");
        for (size_t i = 0; c && i < c->n; i++)
            tag_ids[i] = (int)c->data[i];
        cond.tag_ids = tag_ids;
    }
    drift_graph *g = drift_graph_create();
    int shape[4] = {uc->batch, uc->channels, uc->spatial[0], uc->spatial[1]};
    float *xgrad = calloc(gx->n, sizeof(float));
    drift_tensor *x = drift_graph_wrap(g, gx->data, 2 + uc->dims, shape);
    x->grad = xgrad;
    x->flags |= DRIFT_T_NEEDS_GRAD | DRIFT_T_PARAM;
    drift_tensor *target = drift_graph_wrap(g, gtarget->data, 2 + uc->dims, shape);
    drift_params_zero_grad(p);
    drift_tensor *y = drift_unet_forward(g, u, x, gt->data, &cond, NULL);
    drift_tensor *loss = drift_mse(g, y, target, NULL);
    CHECK(drift_graph_backward(g, loss) == DRIFT_OK, "%s: %s", uc->name, drift_graph_error(g));
    if (drift_graph_status(g) == DRIFT_OK) {
        double e = rel_error(y->data, gout->data, gout->n, 1e-6);
        CHECK(e < TOL, "%s: output rel error %g", uc->name, e);
        CHECK(fabs(loss->data[0] - gloss->data[0]) < TOL * gloss->data[0], "%s: loss %g vs %g",
              uc->name, loss->data[0], gloss->data[0]);
        e = rel_error(xgrad, gxgrad->data, gxgrad->n, 1e-12);
        CHECK(e < TOL, "%s: input gradient rel error %g", uc->name, e);
        int checked = 0;
        for (size_t i = 0; i < drift_params_count(p); i++) {
            drift_tensor *t = drift_params_get(p, i);
            char key[160];
            snprintf(key, sizeof key, "grad:%s", t->name);
            const golden_tensor *gs = get(gf, uc->name, key);
            snprintf(key, sizeof key, "gradnorm:%s", t->name);
            const golden_tensor *gn = get(gf, uc->name, key);
            if (!gs || !gn)
                continue;
            double norm = 0;
            float sample[64];
            for (size_t j = 0; j < t->numel; j++)
                norm += (double)t->grad[j] * t->grad[j];
            norm = sqrt(norm);
            for (size_t j = 0; j < gs->n; j++)
                sample[j] = t->grad[(j * t->numel) / gs->n];
            double es = rel_error(sample, gs->data, gs->n, gn->data[0] * 1e-3 + 1e-12);
            double en = fabs(norm - gn->data[0]) / (gn->data[0] + 1e-12);
            CHECK(es < TOL && en < TOL, "%s: gradient of %s: sample error %g, norm %g vs %g",
                  uc->name, t->name, es, norm, gn->data[0]);
            checked++;
        }
        CHECK(checked == (int)drift_params_count(p), "%s: every parameter compared (%d)", uc->name, checked);
    }
    free(xgrad);
    drift_graph_free(g);
    drift_unet_free(u);
}

/* Perturbing one residual block's time projection must change the output
 * for every block: the timestep reaches each of them. */
static void test_time_reaches_every_block(void)
{
    drift_unet_config cfg = drift_unet_ref_config(1, 4);
    drift_unet *u = NULL;
    if (drift_unet_create(&cfg, 3, &u) != DRIFT_OK)
        return;
    drift_params *p = drift_unet_params(u);
    drift_graph *g = drift_graph_create();
    drift_graph_set_grad(g, false);
    int shape[3] = {1, 4, 16};
    float x[64], t0[1] = {100}, t1[1] = {700};
    for (int i = 0; i < 64; i++)
        x[i] = sinf((float)i);
    int blocks = 0, reached = 0;
    for (size_t i = 0; i < drift_params_count(p); i++) {
        drift_tensor *w = drift_params_get(p, i);
        size_t len = strlen(w->name);
        if (len < 12 || strcmp(w->name + len - 12, ".temb.weight") != 0)
            continue;
        blocks++;
        /* zero every other block's time projection; only this one sees t */
        float *saved = malloc(drift_params_numel(p) * sizeof(float));
        memcpy(saved, drift_params_data(p), drift_params_numel(p) * sizeof(float));
        for (size_t j = 0; j < drift_params_count(p); j++) {
            drift_tensor *o = drift_params_get(p, j);
            if (o != w && strstr(o->name, ".temb.weight"))
                memset(o->data, 0, o->numel * sizeof(float));
        }
        float y0[64], y1[64];
        drift_graph_reset(g);
        drift_tensor *y = drift_unet_forward(g, u, drift_graph_wrap(g, x, 3, shape), t0, NULL, NULL);
        if (y)
            memcpy(y0, y->data, sizeof y0);
        drift_graph_reset(g);
        y = drift_unet_forward(g, u, drift_graph_wrap(g, x, 3, shape), t1, NULL, NULL);
        if (y) {
            memcpy(y1, y->data, sizeof y1);
            reached += max_abs_diff(y0, y1, 64) > 1e-6;
        }
        memcpy(drift_params_data(p), saved, drift_params_numel(p) * sizeof(float));
        free(saved);
    }
    CHECK(blocks == 2 * 3 + 2 + 3 * 3, "residual blocks with a time projection: %d", blocks);
    CHECK(reached == blocks, "time reaches %d of %d blocks", reached, blocks);
    drift_graph_free(g);
    drift_unet_free(u);
}

static void test_counts_and_errors(void)
{
    drift_unet_config c2 = drift_unet_ref_config(2, 1), c1 = drift_unet_ref_config(1, 80);
    drift_unet *u = NULL;
    CHECK(drift_unet_create(&c2, 0, &u) == DRIFT_OK && drift_params_numel(drift_unet_params(u)) == 3607873,
          "2-D ref parameter count");
    drift_unet_free(u);
    CHECK(drift_unet_create(&c1, 0, &u) == DRIFT_OK && drift_params_numel(drift_unet_params(u)) == 1490768,
          "1-D ref parameter count");
    int spatial[2] = {32, 32};
    double gf = drift_unet_flops(&c2, spatial) * 1e-9;
    CHECK(fabs(gf - 1.02) < 0.03, "2-D ref GFLOP per sample %g (about 1.02)", gf);
    int len[1] = {128};
    gf = drift_unet_flops(&c1, len) * 1e-9;
    CHECK(fabs(gf - 0.113) < 0.005, "1-D ref GFLOP per sample %g (about 0.113)", gf);
    /* A wrong input shape fails with a message, not a crash. */
    drift_graph *g = drift_graph_create();
    int bad[3] = {1, 79, 128};
    float *x = calloc(79 * 128, sizeof(float)), t = 1;
    CHECK(drift_unet_forward(g, u, drift_graph_wrap(g, x, 3, bad), &t, NULL, NULL) == NULL &&
              strstr(drift_graph_error(g), "80") != NULL,
          "bad channels rejected: %s", drift_graph_error(g));
    drift_unet_free(u);
    drift_unet_config bc = c2;
    bc.groups = 7;
    CHECK(drift_unet_create(&bc, 0, &u) == DRIFT_ERR_ARG, "bad groups rejected");
    free(x);
    drift_graph_free(g);
}

int main(void)
{
    golden_file gf;
    if (golden_load(&gf, test_path("golden/unet.bin"))) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            run_case(&gf, &cases[i]);
        golden_free(&gf);
    }
    test_time_reaches_every_block();
    test_counts_and_errors();
    return test_finish("test_unet");
}
