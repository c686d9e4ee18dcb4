/* test_train.c: training end to end on a tiny U-Net: the loss falls, the
 * trained model samples data-like outputs, a killed run resumes to
 * bit-identical weights, a NaN stops training with the last good
 * checkpoint kept, model files load back, and tag dropping keeps each
 * row's first tag. */
#include "drift.h"
#include "testutil.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN 16
#define CH 2

/* Two classes of patterns: a sine and a square wave per channel. */
static void pattern(int cls, float *x)
{
    for (int c = 0; c < CH; c++)
        for (int i = 0; i < LEN; i++) {
            double ph = 2 * M_PI * i / LEN + c;
            x[c * LEN + i] = cls == 0 ? (float)sin(ph) : (sin(ph) >= 0 ? 0.8f : -0.8f);
        }
}

typedef struct {
    int nan_at; /* step that yields NaN data (0 = never) */
} source_ctx;

static drift_status fill(void *user, int64_t step, drift_rng *rng, drift_batch *b)
{
    source_ctx *ctx = user;
    for (int i = 0; i < b->size; i++) {
        int cls = (int)drift_rng_below(rng, 2);
        pattern(cls, b->x0 + i * b->dim);
        b->class_ids[i] = cls;
        if (ctx->nan_at && step + 1 == ctx->nan_at)
            b->x0[i * b->dim] = NAN;
    }
    return DRIFT_OK;
}

static drift_model *tiny_model(void)
{
    drift_unet_config u;
    test_tiny_unet(&u, 1, CH, 16);
    u.mid_attention = 1;
    drift_model_config c = drift_model_config_default(&u);
    char *names[2] = {"sine", "square"};
    c.n_classes = 2;
    c.class_names = names;
    drift_model *m = NULL;
    CHECK(drift_model_create(&c, 7, &m) == DRIFT_OK, "create: %s", drift_last_error());
    return m;
}

/* Weights of a trained model file start a fresh model (fine-tuning): the
 * same numbers, bit for bit; a model file of another network is refused
 * and leaves the weights as they were. */
static void test_load_weights(const drift_model *trained, const char *path)
{
    drift_model *m = tiny_model();
    if (!m)
        return;
    const drift_params *want = drift_unet_params(trained->net), *got = drift_unet_params(m->net);
    size_t n = drift_params_numel(want);
    CHECK(memcmp(drift_params_data(got), drift_params_data(want), n * sizeof(float)) != 0,
          "a fresh model's weights differ from the trained ones");
    CHECK(drift_model_load_weights(m, path) == DRIFT_OK, "load weights: %s", drift_last_error());
    CHECK(memcmp(drift_params_data(got), drift_params_data(want), n * sizeof(float)) == 0,
          "the fresh model now has the trained weights");
    drift_unet_config u;
    test_tiny_unet(&u, 1, CH, 8);
    drift_model_config c = drift_model_config_default(&u);
    drift_model *other = NULL;
    CHECK(drift_model_create(&c, 7, &other) == DRIFT_OK, "create: %s", drift_last_error());
    if (other) {
        const char *other_path = test_tmp("other.safetensors");
        CHECK(drift_model_save(other, other_path, DRIFT_ST_F32) == DRIFT_OK, "save: %s", drift_last_error());
        drift_status st = drift_model_load_weights(m, other_path);
        CHECK(st != DRIFT_OK, "another network's weights are refused");
        printf("loading another network's weights: %s\n", drift_last_error());
        CHECK(memcmp(drift_params_data(got), drift_params_data(want), n * sizeof(float)) == 0,
              "a refused file leaves the weights unchanged");
        drift_model_free(other);
    }
    drift_model_free(m);
}

static void options(drift_train_options *o, int64_t steps)
{
    drift_train_defaults(o);
    o->spatial[0] = LEN;
    o->steps = steps;
    o->batch = 16;
    o->lr = 3e-3;
    o->min_lr = 3e-4;
    o->warmup = 10;
    o->ema_decay = 0.99;
    o->seed = 11;
}

typedef struct {
    double first, last;
    int64_t kill_at;
} progress_ctx;

static int progress(void *user, int64_t step, int64_t total, double loss, double lr)
{
    progress_ctx *p = user;
    if (step <= 20)
        p->first += loss / 20;
    if (step > total - 20)
        p->last += loss / 20;
    if (p->kill_at && step == p->kill_at)
        raise(SIGKILL);
    return 0;
}

static double nearest_pattern_distance(const float *x)
{
    float p[CH * LEN];
    double best = INFINITY;
    for (int cls = 0; cls < 2; cls++) {
        pattern(cls, p);
        double d = 0;
        for (int i = 0; i < CH * LEN; i++)
            d += (x[i] - p[i]) * (x[i] - p[i]);
        best = fmin(best, sqrt(d / (CH * LEN)));
    }
    return best;
}

static void test_learns_and_samples(void)
{
    drift_model *m = tiny_model();
    if (!m)
        return;
    source_ctx sc = {0};
    drift_data_source src = {fill, &sc};
    drift_train_options o;
    options(&o, getenv("DRIFT_TEST_LIGHT") ? 150 : 300);
    progress_ctx pc = {0};
    o.progress = progress;
    o.progress_user = &pc;
    o.checkpoint_path = test_tmp("learn.ckpt");
    o.model_path = test_tmp("learn.safetensors");
    CHECK(drift_train(m, &src, &o) == DRIFT_OK, "train: %s", drift_last_error());
    printf("loss: first 20 steps %.4f, last 20 steps %.4f\n", pc.first, pc.last);
    CHECK(pc.last < 0.35 * pc.first, "loss falls by 65%%: %.4f -> %.4f", pc.first, pc.last);
    drift_model_free(m);

    /* The model file (EMA weights) loads and samples near the patterns. */
    drift_model *lm = NULL;
    CHECK(drift_model_load(o.model_path, &lm) == DRIFT_OK, "load: %s", drift_last_error());
    if (!lm)
        return;
    CHECK(lm->cfg.n_classes == 2 && strcmp(lm->cfg.class_names[1], "square") == 0, "class names kept");
    test_load_weights(lm, o.model_path);
    enum { B = 16 };
    float x[B * CH * LEN];
    int classes[B];
    for (int i = 0; i < B; i++)
        classes[i] = i % 2;
    drift_sampler_options so;
    drift_sampler_defaults(&so, DRIFT_SAMPLER_DDIM);
    so.steps = 25;
    so.seed = 3;
    drift_sample_cond cond = {classes, NULL, NULL};
    int spatial[1] = {LEN};
    CHECK(drift_model_sample(lm, &so, B, spatial, &cond, 0, x) == DRIFT_OK, "sample: %s", drift_last_error());
    double d_model = 0, d_noise = 0;
    float noise[CH * LEN];
    drift_rng r;
    drift_rng_init(&r, 5, 0);
    for (int i = 0; i < B; i++) {
        d_model += nearest_pattern_distance(x + i * CH * LEN) / B;
        drift_rng_normal(&r, noise, CH * LEN);
        d_noise += nearest_pattern_distance(noise) / B;
    }
    printf("distance to nearest pattern: samples %.3f, noise %.3f\n", d_model, d_noise);
    CHECK(d_model < 0.3 * d_noise, "samples are data-like: %.3f vs noise %.3f", d_model, d_noise);
    drift_model_free(lm);
}

static bool read_all(const char *path, float **data, size_t *n)
{
    drift_safetensors *h;
    if (drift_safetensors_open(path, &h) != DRIFT_OK)
        return false;
    size_t total = 0;
    for (size_t i = 0; i < drift_safetensors_count(h); i++)
        total += drift_safetensors_entry(h, i)->numel;
    *data = malloc(total * sizeof(float) + 4);
    *n = 0;
    for (size_t i = 0; i < drift_safetensors_count(h); i++) {
        const drift_st_info *e = drift_safetensors_entry(h, i);
        drift_safetensors_read(h, e->name, *data + *n, e->numel);
        *n += e->numel;
    }
    drift_safetensors_close(h);
    return true;
}

static void run_to_end(const char *ckpt, const char *model, int64_t kill_at)
{
    drift_model *m = tiny_model();
    source_ctx sc = {0};
    drift_data_source src = {fill, &sc};
    drift_train_options o;
    options(&o, 12);
    o.checkpoint_every = 4;
    o.checkpoint_path = ckpt;
    o.model_path = model;
    progress_ctx pc = {0, 0, kill_at};
    o.progress = progress;
    o.progress_user = &pc;
    CHECK(drift_train(m, &src, &o) == DRIFT_OK, "train: %s", drift_last_error());
    drift_model_free(m);
}

static void test_resume_after_kill(void)
{
    run_to_end(test_tmp("whole.ckpt"), test_tmp("whole.safetensors"), 0);
    pid_t pid = fork();
    if (pid == 0) {
        run_to_end(test_tmp("killed.ckpt"), test_tmp("killed.safetensors"), 7); /* dies at step 7 */
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the first run was killed");
    drift_safetensors *h;
    if (drift_safetensors_open(test_tmp("killed.ckpt"), &h) == DRIFT_OK) {
        CHECK(strcmp(drift_safetensors_meta(h, "train.step"), "4") == 0, "checkpoint of step 4 survived");
        drift_safetensors_close(h);
    } else {
        CHECK(0, "no checkpoint after the kill: %s", drift_last_error());
    }
    run_to_end(test_tmp("killed.ckpt"), test_tmp("killed.safetensors"), 0); /* resume */
    float *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK(read_all(test_tmp("whole.ckpt"), &a, &na) && read_all(test_tmp("killed.ckpt"), &b, &nb), "read checkpoints");
    CHECK(na == nb && na > 0 && memcmp(a, b, na * sizeof(float)) == 0,
          "resumed run is bit-identical (%zu vs %zu values)", na, nb);
    free(a);
    free(b);
}

static void test_nan_stops(void)
{
    drift_model *m = tiny_model();
    source_ctx sc = {5};
    drift_data_source src = {fill, &sc};
    drift_train_options o;
    options(&o, 10);
    o.checkpoint_every = 2;
    o.checkpoint_path = test_tmp("nan.ckpt");
    drift_status s = drift_train(m, &src, &o);
    CHECK(s == DRIFT_ERR_NUMERIC && strstr(drift_last_error(), "step 5"), "NaN stops at step 5: %s",
          drift_last_error());
    drift_safetensors *h;
    if (drift_safetensors_open(o.checkpoint_path, &h) == DRIFT_OK) {
        CHECK(strcmp(drift_safetensors_meta(h, "train.step"), "4") == 0, "last good checkpoint kept");
        drift_safetensors_close(h);
    } else {
        CHECK(0, "checkpoint missing");
    }
    drift_model_free(m);
}

/* Tag rows {0 or 1, 2 or 3}: tags 2 and 3 only ever come second. */
static drift_status fill_tags(void *user, int64_t step, drift_rng *rng, drift_batch *b)
{
    (void)user, (void)step;
    for (int i = 0; i < b->size; i++) {
        int cls = (int)drift_rng_below(rng, 2);
        pattern(cls, b->x0 + i * b->dim);
        b->tag_ids[2 * i] = cls;
        b->tag_ids[2 * i + 1] = 2 + (int)drift_rng_below(rng, 2);
    }
    return DRIFT_OK;
}

/* Largest change of tags [first, first + 2)'s rows of both tag tables
 * after 12 steps with the given tag_drop and tag_drop_first (every row has
 * two tags: a class word 0-1, then a loudness word 2-3). */
static double tag_rows_change(double tag_drop, double tag_drop_first, int first)
{
    drift_unet_config u;
    test_tiny_unet(&u, 1, CH, 16);
    u.mid_attention = 1;
    u.vocab_size = 4;
    u.ctx_dim = 8;
    u.max_tags = 2;
    drift_model_config c = drift_model_config_default(&u);
    char *words[4] = {"sine", "square", "soft", "loud"};
    c.vocab_size = 4;
    c.vocab = words;
    drift_model *m = NULL;
    CHECK(drift_model_create(&c, 7, &m) == DRIFT_OK, "create: %s", drift_last_error());
    if (!m)
        return NAN;
    drift_params *p = drift_params_clone(drift_unet_params(m->net), false);
    drift_data_source src = {fill_tags, NULL};
    drift_train_options o;
    options(&o, 12);
    o.cond_drop = 0;
    o.tag_drop = tag_drop;
    o.tag_drop_first = tag_drop_first;
    CHECK(drift_train(m, &src, &o) == DRIFT_OK, "train: %s", drift_last_error());
    double most = 0;
    const char *tables[2] = {"tag_emb.weight", "tag_temb.weight"};
    for (int k = 0; k < 2; k++) {
        drift_tensor *before = drift_params_find(p, tables[k]), *after = drift_params_find(drift_unet_params(m->net), tables[k]);
        CHECK(before && after, "tag table %s", tables[k]);
        if (!before || !after)
            continue;
        int w = after->shape[1];
        for (int i = first * w; i < (first + 2) * w; i++)
            most = fmax(most, fabs(after->data[i] - before->data[i]));
    }
    drift_params_free(p);
    drift_model_free(m);
    return most;
}

static void test_tag_drop(void)
{
    double second_all = tag_rows_change(1.0, 0, 2), first_all = tag_rows_change(1.0, 0, 0);
    double second_none = tag_rows_change(0.0, 0, 2);
    CHECK(second_all == 0, "tag_drop 1: second tags never reach the network (change %g)", second_all);
    CHECK(first_all > 1e-4, "tag_drop 1: first tags still train (change %g)", first_all);
    CHECK(second_none > 1e-4, "tag_drop 0: second tags train (change %g)", second_none);
    /* tag_drop_first drops the first tag only where another remains */
    double first_dropped = tag_rows_change(0.0, 1.0, 0), second_kept = tag_rows_change(0.0, 1.0, 2);
    double first_alone = tag_rows_change(1.0, 1.0, 0);
    CHECK(first_dropped == 0, "tag_drop_first 1: first tags never reach the network (change %g)", first_dropped);
    CHECK(second_kept > 1e-4, "tag_drop_first 1: second tags train (change %g)", second_kept);
    CHECK(first_alone > 1e-4, "tag_drop 1, tag_drop_first 1: a first tag left alone is kept (change %g)",
          first_alone);
}

int main(void)
{
    snprintf(test_tmpdir, sizeof test_tmpdir, "/tmp/drift-test-train-XXXXXX");
    if (!mkdtemp(test_tmpdir))
        return 1;
    test_learns_and_samples();
    test_resume_after_kill();
    test_nan_stops();
    test_tag_drop();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", test_tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", test_tmpdir);
    return test_finish("test_train");
}
