/* classifier.c: drift's small CNN classifier (see classifier.h): building
 * it, the forward pass, minibatch training, inference in chunks, and its
 * model files. */
#include "classifier.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "json.h"
#include "op_conv.h"
#include "op_elem.h"
#include "op_linear.h"
#include "op_norm.h"
#include "op_pool.h"
#include "op_shape.h"
#include "op_xent.h"
#include "optim.h"
#include "params.h"
#include "safetensors.h"

#define RUN_CHUNK 256
#define NORM_EPS 1e-5f
#define MAX_CLASSES 100000

typedef struct conv_block {
    drift_tensor *w, *b;         /* conv: (Cout,Cin,3[,3]), (Cout) */
    drift_tensor *gamma, *beta;  /* group norm: (Cout) */
    int stride;
} conv_block;

struct drift_classifier {
    drift_classifier_config cfg;
    drift_params *params;
    conv_block blocks[1 + 2 * DRIFT_CLASSIFIER_MAX_LEVELS];
    int n_blocks;
    drift_tensor *head_w, *head_b; /* (K,E), (K) */
};

/* ---- configuration ------------------------------------------------------ */

drift_classifier_config drift_classifier_config_default(int dims, int in_channels, int n_classes)
{
    drift_classifier_config c = {dims, in_channels, n_classes, 16, 2, 8, 0.0f, 1.0f, NULL};
    return c;
}

drift_status drift_classifier_check_config(const drift_classifier_config *c)
{
    if (c->dims != 1 && c->dims != 2)
        return drift_fail(DRIFT_ERR_ARG, "classifier: dims must be 1 or 2, got %d", c->dims);
    if (c->in_channels < 1 || c->in_channels > 4096)
        return drift_fail(DRIFT_ERR_ARG, "classifier: in_channels %d is not in [1, 4096]", c->in_channels);
    if (c->n_classes < 2 || c->n_classes > MAX_CLASSES)
        return drift_fail(DRIFT_ERR_ARG, "classifier: n_classes %d is not in [2, %d]", c->n_classes, MAX_CLASSES);
    if (c->n_levels < 0 || c->n_levels > DRIFT_CLASSIFIER_MAX_LEVELS)
        return drift_fail(DRIFT_ERR_ARG, "classifier: n_levels %d is not in [0, %d]", c->n_levels,
                          DRIFT_CLASSIFIER_MAX_LEVELS);
    if (c->base_channels < 1 || c->base_channels > 1024)
        return drift_fail(DRIFT_ERR_ARG, "classifier: base_channels %d is not in [1, 1024]", c->base_channels);
    if (c->groups < 1 || c->base_channels % c->groups)
        return drift_fail(DRIFT_ERR_ARG, "classifier: groups %d does not divide base_channels %d", c->groups,
                          c->base_channels);
    if (!(c->in_std > 0) || !isfinite(c->in_std) || !isfinite(c->in_mean))
        return drift_fail(DRIFT_ERR_ARG, "classifier: input normalisation mean %g, std %g is not usable",
                          (double)c->in_mean, (double)c->in_std);
    return DRIFT_OK;
}

static void free_names(char **names, int n)
{
    for (int i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

static char **copy_names(char *const *names, int n)
{
    char **out = calloc((size_t)n, sizeof *out);
    for (int i = 0; out && i < n; i++)
        if (!(out[i] = strdup(names[i] ? names[i] : ""))) {
            free_names(out, n);
            return NULL;
        }
    return out;
}

/* ---- building ----------------------------------------------------------- */

static drift_tensor *add_param(drift_params *p, const char *prefix, const char *suffix, int ndim,
                               const int *shape)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", prefix, suffix);
    return drift_params_add(p, name, ndim, shape);
}

static void add_block(drift_classifier *c, const char *prefix, int cin, int cout, int stride)
{
    int w[4] = {cout, cin, 3, 3}, v[1] = {cout};
    conv_block *b = &c->blocks[c->n_blocks++];
    b->w = add_param(c->params, prefix, "conv.weight", 2 + c->cfg.dims, w);
    b->b = add_param(c->params, prefix, "conv.bias", 1, v);
    b->gamma = add_param(c->params, prefix, "norm.weight", 1, v);
    b->beta = add_param(c->params, prefix, "norm.bias", 1, v);
    b->stride = stride;
}

static drift_status init_weights(drift_classifier *c, uint64_t seed)
{
    drift_rng rng;
    drift_rng_init(&rng, seed, 0);
    drift_status s = DRIFT_OK;
    for (int i = 0; !s && i < c->n_blocks; i++) {
        conv_block *b = &c->blocks[i];
        int fan_in = b->w->shape[1] * (c->cfg.dims == 2 ? 9 : 3);
        s = drift_params_init_torch_default(b->w, b->b, fan_in, &rng);
        if (!s)
            s = drift_params_init_constant(b->gamma, 1.0f);
    }
    return s ? s : drift_params_init_torch_default(c->head_w, c->head_b, c->head_w->shape[1], &rng);
}

int drift_classifier_embed_dim(const drift_classifier *c)
{
    return c->cfg.base_channels << c->cfg.n_levels;
}

drift_status drift_classifier_create(const drift_classifier_config *cfg, uint64_t seed,
                                     drift_classifier **out)
{
    *out = NULL;
    drift_status s = drift_classifier_check_config(cfg);
    if (s)
        return s;
    drift_classifier *c = calloc(1, sizeof *c);
    if (!c || !(c->params = drift_params_create()))
        return free(c), drift_fail(DRIFT_ERR_NOMEM, "classifier: out of memory");
    c->cfg = *cfg;
    c->cfg.class_names = cfg->class_names ? copy_names(cfg->class_names, cfg->n_classes) : NULL;
    add_block(c, "stem", cfg->in_channels, cfg->base_channels, 1);
    for (int l = 1; l <= cfg->n_levels; l++) {
        char prefix[32];
        int cin = cfg->base_channels << (l - 1), cout = cin * 2;
        snprintf(prefix, sizeof prefix, "down%d.0", l);
        add_block(c, prefix, cin, cout, 2);
        snprintf(prefix, sizeof prefix, "down%d.1", l);
        add_block(c, prefix, cout, cout, 1);
    }
    int hw[2] = {cfg->n_classes, drift_classifier_embed_dim(c)}, hb[1] = {cfg->n_classes};
    c->head_w = drift_params_add(c->params, "head.weight", 2, hw);
    c->head_b = drift_params_add(c->params, "head.bias", 1, hb);
    s = drift_params_finalize(c->params);
    if (!s && cfg->class_names && !c->cfg.class_names)
        s = drift_fail(DRIFT_ERR_NOMEM, "classifier: out of memory");
    if (!s)
        s = init_weights(c, seed);
    if (s) {
        drift_classifier_free(c);
        return s;
    }
    *out = c;
    return DRIFT_OK;
}

void drift_classifier_free(drift_classifier *c)
{
    if (!c)
        return;
    free_names(c->cfg.class_names, c->cfg.n_classes);
    drift_params_free(c->params);
    free(c);
}

const drift_classifier_config *drift_classifier_get_config(const drift_classifier *c)
{
    return &c->cfg;
}

drift_params *drift_classifier_params(drift_classifier *c)
{
    return c->params;
}

const char *drift_classifier_class_name(const drift_classifier *c, int k)
{
    return c->cfg.class_names && k >= 0 && k < c->cfg.n_classes ? c->cfg.class_names[k] : NULL;
}

/* ---- forward ------------------------------------------------------------ */

/* x: (N, in_channels, spatial...) normalised -> logits (N, K); *emb gets
 * the pooled (N, E) tensor. NULL if the graph failed. */
static drift_tensor *forward(drift_graph *g, drift_classifier *c, drift_tensor *x, drift_tensor **emb)
{
    drift_tensor *h = x;
    for (int i = 0; i < c->n_blocks; i++) {
        const conv_block *b = &c->blocks[i];
        h = drift_conv(g, h, b->w, b->b, b->stride, 1);
        h = drift_group_norm_silu(g, h, b->gamma, b->beta, c->cfg.groups, NORM_EPS);
    }
    *emb = drift_global_avg_pool(g, h);
    return drift_linear(g, *emb, c->head_w, c->head_b);
}

static size_t sample_size(const drift_classifier *c, const int *spatial)
{
    size_t n = (size_t)c->cfg.in_channels * (size_t)spatial[0];
    return c->cfg.dims == 2 ? n * (size_t)spatial[1] : n;
}

static drift_status check_spatial(const drift_classifier *c, const int *spatial)
{
    for (int d = 0; d < c->cfg.dims; d++)
        if (!spatial || spatial[d] < 1 || spatial[d] > (1 << 20))
            return drift_fail(DRIFT_ERR_ARG, "classifier: spatial size %d of dimension %d is not in [1, 2^20]",
                              spatial ? spatial[d] : 0, d);
    return DRIFT_OK;
}

/* A graph input of `rows` samples: normalised copies of x[idx[r]] (or of
 * x[r] when idx is NULL), flipped along the last axis where flip[r]. */
static drift_tensor *input_batch(drift_graph *g, const drift_classifier *c, const float *x, const int *spatial,
                                 const uint32_t *idx, const unsigned char *flip, int rows)
{
    int shape[4] = {rows, c->cfg.in_channels, spatial[0], c->cfg.dims == 2 ? spatial[1] : 1};
    drift_tensor *t = drift_graph_tensor(g, 2 + c->cfg.dims, shape);
    if (!t)
        return NULL;
    size_t per = sample_size(c, spatial), last = (size_t)spatial[c->cfg.dims - 1];
    float scale = 1.0f / c->cfg.in_std;
    for (int r = 0; r < rows; r++) {
        const float *src = x + (idx ? idx[r] : (size_t)r) * per;
        float *dst = t->data + (size_t)r * per;
        bool f = flip && flip[r];
        for (size_t i = 0; i < per; i++) {
            size_t j = f ? i - i % last + (last - 1 - i % last) : i;
            dst[i] = (src[j] - c->cfg.in_mean) * scale;
        }
    }
    return t;
}

static drift_status graph_status(drift_graph *g)
{
    drift_status s = drift_graph_status(g);
    return s ? drift_fail(s, "classifier: %s", drift_graph_error(g)) : DRIFT_OK;
}

drift_status drift_classifier_run(drift_classifier *c, const float *x, int n, const int *spatial,
                                  float *logits, float *emb, int *pred)
{
    drift_status s = check_spatial(c, spatial);
    if (s || n < 0)
        return s ? s : drift_fail(DRIFT_ERR_ARG, "classifier: %d samples", n);
    drift_graph *g = drift_graph_create();
    if (!g)
        return drift_fail(DRIFT_ERR_NOMEM, "classifier: out of memory");
    drift_graph_set_grad(g, false);
    int k = c->cfg.n_classes, e = drift_classifier_embed_dim(c);
    for (int r0 = 0; !s && r0 < n; r0 += RUN_CHUNK) {
        int rows = n - r0 < RUN_CHUNK ? n - r0 : RUN_CHUNK;
        drift_graph_reset(g);
        drift_tensor *pooled = NULL;
        drift_tensor *out = forward(g, c, input_batch(g, c, x + (size_t)r0 * sample_size(c, spatial), spatial,
                                                      NULL, NULL, rows), &pooled);
        if ((s = graph_status(g)) != DRIFT_OK || !out)
            break;
        for (int r = 0; r < rows; r++) {
            const float *row = out->data + (size_t)r * k;
            int best = 0;
            for (int j = 1; j < k; j++)
                best = row[j] > row[best] ? j : best;
            if (pred)
                pred[r0 + r] = best;
        }
        if (logits)
            memcpy(logits + (size_t)r0 * k, out->data, (size_t)rows * k * sizeof *logits);
        if (emb)
            memcpy(emb + (size_t)r0 * e, pooled->data, (size_t)rows * e * sizeof *emb);
    }
    drift_graph_free(g);
    return s;
}

drift_status drift_classifier_accuracy(drift_classifier *c, const float *x, const int *labels, int n,
                                       const int *spatial, float *emb, double *accuracy)
{
    int *pred = malloc((size_t)(n > 0 ? n : 1) * sizeof *pred);
    if (!pred)
        return drift_fail(DRIFT_ERR_NOMEM, "classifier: out of memory");
    drift_status s = drift_classifier_run(c, x, n, spatial, NULL, emb, pred);
    int right = 0, counted = 0;
    for (int i = 0; !s && i < n; i++)
        if (labels[i] >= 0)
            counted++, right += pred[i] == labels[i];
    free(pred);
    *accuracy = counted ? (double)right / counted : 0;
    return s;
}

/* ---- training ----------------------------------------------------------- */

void drift_classifier_train_defaults(drift_classifier_train_options *o)
{
    *o = (drift_classifier_train_options){.epochs = 5, .batch = 64, .lr = 2e-3, .weight_decay = 1e-4};
}

typedef struct trainer {
    drift_classifier *c;
    const float *x;
    const int *labels;
    const int *spatial;
    const drift_classifier_train_options *o;
    drift_graph *g;
    drift_adamw *opt;
    drift_lr_schedule lr;
    uint32_t *perm;
    int *batch_labels;
    unsigned char *flip;
} trainer;

/* One optimiser step on samples perm[0..rows); returns its loss in *loss. */
static drift_status train_step(trainer *t, const uint32_t *perm, int rows, int64_t step, double *loss)
{
    drift_graph_reset(t->g);
    for (int r = 0; r < rows; r++)
        t->batch_labels[r] = t->labels[perm[r]];
    drift_tensor *pooled;
    drift_tensor *in = input_batch(t->g, t->c, t->x, t->spatial, perm, t->o->flip_last ? t->flip : NULL, rows);
    drift_tensor *l = drift_cross_entropy(t->g, forward(t->g, t->c, in, &pooled), t->batch_labels);
    drift_status s = graph_status(t->g);
    if (s)
        return s;
    if (!isfinite(l->data[0]))
        return drift_fail(DRIFT_ERR_NUMERIC, "classifier: loss is %g at step %lld", (double)l->data[0],
                          (long long)step);
    drift_params_zero_grad(t->c->params);
    if ((s = drift_graph_backward(t->g, l)) != DRIFT_OK)
        return s;
    double norm;
    if ((s = drift_clip_grad_norm(t->c->params, 5.0f, &norm)) != DRIFT_OK)
        return s;
    *loss = l->data[0];
    return drift_adamw_step(t->opt, drift_lr_at(&t->lr, step));
}

static drift_status train_epoch(trainer *t, int epoch, int n, int batch, int64_t *step, double *mean_loss)
{
    drift_rng rng;
    drift_rng_init(&rng, t->o->seed, 1 + (uint64_t)epoch);
    drift_rng_shuffle(&rng, t->perm, (size_t)n);
    drift_status s = DRIFT_OK;
    double sum = 0;
    int steps = n / batch;
    for (int b = 0; !s && b < steps; b++) {
        for (int r = 0; r < batch; r++)
            t->flip[r] = (unsigned char)(drift_rng_u32(&rng) & 1);
        double loss = 0;
        s = train_step(t, t->perm + (size_t)b * batch, batch, (*step)++, &loss);
        sum += loss;
    }
    *mean_loss = sum / steps;
    return s;
}

static drift_status check_training(const drift_classifier *c, const int *labels, int n,
                                   const drift_classifier_train_options *o)
{
    if (n < 1 || o->epochs < 1 || o->batch < 1 || !(o->lr > 0) || !(o->weight_decay >= 0))
        return drift_fail(DRIFT_ERR_ARG, "classifier training: bad settings (samples %d, epochs %d, batch %d, "
                          "lr %g, weight decay %g)", n, o->epochs, o->batch, o->lr, o->weight_decay);
    for (int i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= c->cfg.n_classes)
            return drift_fail(DRIFT_ERR_ARG, "classifier training: label %d of sample %d is not in [0, %d)",
                              labels[i], i, c->cfg.n_classes);
    return DRIFT_OK;
}

drift_status drift_classifier_train(drift_classifier *c, const float *x, const int *labels, int n,
                                    const int *spatial, const drift_classifier_train_options *o)
{
    drift_status s = check_spatial(c, spatial);
    if (s || (s = check_training(c, labels, n, o)) != DRIFT_OK)
        return s;
    int batch = o->batch < n ? o->batch : n;
    int64_t total = (int64_t)o->epochs * (n / batch);
    drift_adamw_config ac = drift_adamw_defaults();
    ac.weight_decay = o->weight_decay;
    ac.decay_1d = false;
    trainer t = {c, x, labels, spatial, o, drift_graph_create(), drift_adamw_create(c->params, &ac),
                 {o->lr, o->lr / 20, total / 20, total}, malloc((size_t)n * sizeof *t.perm),
                 malloc((size_t)batch * sizeof *t.batch_labels), malloc((size_t)batch)};
    if (!t.g || !t.opt || !t.perm || !t.batch_labels || !t.flip)
        s = drift_fail(DRIFT_ERR_NOMEM, "classifier training: out of memory");
    for (int i = 0; !s && i < n; i++)
        t.perm[i] = (uint32_t)i;
    int64_t step = 0;
    for (int e = 0; !s && e < o->epochs; e++) {
        double loss;
        s = train_epoch(&t, e, n, batch, &step, &loss);
        if (!s && o->progress && o->progress(o->progress_user, e + 1, o->epochs, loss))
            break;
    }
    drift_graph_free(t.g);
    drift_adamw_free(t.opt);
    free(t.perm), free(t.batch_labels), free(t.flip);
    return s;
}

/* ---- files -------------------------------------------------------------- */

static char *config_to_json(const drift_classifier_config *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "dims", c->dims);
    cJSON_AddNumberToObject(o, "in_channels", c->in_channels);
    cJSON_AddNumberToObject(o, "n_classes", c->n_classes);
    cJSON_AddNumberToObject(o, "base_channels", c->base_channels);
    cJSON_AddNumberToObject(o, "n_levels", c->n_levels);
    cJSON_AddNumberToObject(o, "groups", c->groups);
    cJSON_AddNumberToObject(o, "in_mean", c->in_mean);
    cJSON_AddNumberToObject(o, "in_std", c->in_std);
    if (c->class_names) {
        cJSON *names = cJSON_AddArrayToObject(o, "class_names");
        for (int i = 0; names && i < c->n_classes; i++)
            cJSON_AddItemToArray(names, cJSON_CreateString(c->class_names[i]));
    }
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

drift_status drift_classifier_save(const drift_classifier *c, const char *path)
{
    char *json = config_to_json(&c->cfg);
    drift_st_writer *w = json ? drift_st_writer_create() : NULL;
    if (!w) {
        free(json);
        return drift_fail(DRIFT_ERR_NOMEM, "classifier: out of memory saving %s", path);
    }
    drift_st_writer_add_params(w, c->params, NULL, "", DRIFT_ST_F32);
    drift_st_writer_meta(w, "drift.format", DRIFT_MODEL_FORMAT);
    drift_st_writer_meta(w, "drift.classifier", json);
    drift_status s = drift_st_writer_save(w, path);
    drift_st_writer_free(w);
    free(json);
    return s;
}

/* An integer field in [lo, hi] (or a number field for floats). */
static drift_status json_int(const cJSON *o, const char *key, int lo, int hi, const char *path, int *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) || it->valuedouble < lo ||
        it->valuedouble > hi)
        return drift_fail(DRIFT_ERR_FORMAT, "%s: classifier field \"%s\" is missing or not an integer in [%d, %d]",
                          path, key, lo, hi);
    *out = (int)it->valuedouble;
    return DRIFT_OK;
}

static drift_status json_float(const cJSON *o, const char *key, const char *path, float *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return drift_fail(DRIFT_ERR_FORMAT, "%s: classifier field \"%s\" is missing or not a number", path, key);
    *out = (float)it->valuedouble;
    return DRIFT_OK;
}

static drift_status json_names(const cJSON *o, const char *path, drift_classifier_config *c)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(o, "class_names");
    if (!names)
        return DRIFT_OK;
    if (!cJSON_IsArray(names) || cJSON_GetArraySize(names) != c->n_classes)
        return drift_fail(DRIFT_ERR_FORMAT, "%s: classifier \"class_names\" is not an array of %d strings", path,
                          c->n_classes);
    c->class_names = calloc((size_t)c->n_classes, sizeof *c->class_names);
    int i = 0;
    for (const cJSON *it = names->child; c->class_names && it; it = it->next, i++) {
        if (!cJSON_IsString(it))
            return drift_fail(DRIFT_ERR_FORMAT, "%s: class name %d is not a string", path, i);
        if (!(c->class_names[i] = strdup(it->valuestring)))
            break;
    }
    return i == c->n_classes ? DRIFT_OK : drift_fail(DRIFT_ERR_NOMEM, "%s: out of memory", path);
}

static drift_status config_from_json(const char *text, const char *path, drift_classifier_config *c)
{
    cJSON *o;
    drift_status s = drift_json_parse(text, strlen(text), path, &o);
    if (s)
        return s;
    *c = (drift_classifier_config){0};
    if (!cJSON_IsObject(o))
        s = drift_fail(DRIFT_ERR_FORMAT, "%s: classifier configuration is not a JSON object", path);
    if (!s)
        s = json_int(o, "dims", 1, 2, path, &c->dims);
    if (!s)
        s = json_int(o, "in_channels", 1, 4096, path, &c->in_channels);
    if (!s)
        s = json_int(o, "n_classes", 2, MAX_CLASSES, path, &c->n_classes);
    if (!s)
        s = json_int(o, "base_channels", 1, 1024, path, &c->base_channels);
    if (!s)
        s = json_int(o, "n_levels", 0, DRIFT_CLASSIFIER_MAX_LEVELS, path, &c->n_levels);
    if (!s)
        s = json_int(o, "groups", 1, 1024, path, &c->groups);
    if (!s)
        s = json_float(o, "in_mean", path, &c->in_mean);
    if (!s)
        s = json_float(o, "in_std", path, &c->in_std);
    if (!s)
        s = json_names(o, path, c);
    cJSON_Delete(o);
    return s;
}

drift_status drift_classifier_load(const char *path, drift_classifier **out)
{
    *out = NULL;
    drift_safetensors *h;
    drift_status s = drift_safetensors_open(path, &h);
    if (s)
        return s;
    const char *json = drift_safetensors_meta(h, "drift.classifier");
    drift_classifier_config cfg = {0};
    if (!json)
        s = drift_fail(DRIFT_ERR_FORMAT, "%s is not a drift classifier (no drift.classifier metadata)", path);
    if (!s)
        s = config_from_json(json, path, &cfg);
    if (!s)
        s = drift_classifier_create(&cfg, 0, out);
    if (!s && (s = drift_safetensors_load_params(h, (*out)->params, "")) != DRIFT_OK) {
        drift_classifier_free(*out);
        *out = NULL;
    }
    free_names(cfg.class_names, cfg.n_classes);
    drift_safetensors_close(h);
    return s;
}
