/* model.c: model configuration as JSON, model files, and the model as a
 * sampler's denoiser (see model.h). */
#include "model.h"
#include "op_loss.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

drift_model_config drift_model_config_default(const drift_unet_config *unet)
{
    drift_model_config c;
    memset(&c, 0, sizeof c);
    c.unet = *unet;
    c.schedule = DRIFT_BETA_COSINE;
    c.timesteps = 1000;
    c.prediction = DRIFT_PRED_V;
    c.data_mean = 0.0f;
    c.data_std = 1.0f;
    return c;
}

static char **copy_strings(char *const *src, int n, bool *ok)
{
    if (!src || n <= 0)
        return NULL;
    char **dst = calloc((size_t)n, sizeof *dst);
    if (!dst) {
        *ok = false;
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (src[i] && !(dst[i] = strdup(src[i])))
            *ok = false;
    return dst;
}

static void free_strings(char **s, int n)
{
    for (int i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

void drift_model_config_clear(drift_model_config *c)
{
    free_strings(c->class_names, c->n_classes);
    free_strings(c->vocab, c->vocab_size);
    free(c->task_json);
    c->class_names = c->vocab = NULL;
    c->task_json = NULL;
}

drift_status drift_model_config_copy(drift_model_config *dst, const drift_model_config *src)
{
    bool ok = true;
    *dst = *src;
    dst->class_names = copy_strings(src->class_names, src->n_classes, &ok);
    dst->vocab = copy_strings(src->vocab, src->vocab_size, &ok);
    dst->task_json = src->task_json ? strdup(src->task_json) : NULL;
    if (!ok || (src->task_json && !dst->task_json)) {
        drift_model_config_clear(dst);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory copying a model configuration");
    }
    return DRIFT_OK;
}

/* ---- JSON --------------------------------------------------------------- */

static cJSON *string_array(char *const *s, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(s && s[i] ? s[i] : ""));
    return a;
}

char *drift_model_config_to_json(const drift_model_config *c)
{
    const drift_unet_config *u = &c->unet;
    cJSON *root = cJSON_CreateObject(), *un = cJSON_AddObjectToObject(root, "unet");
    cJSON_AddNumberToObject(un, "dims", u->dims);
    cJSON_AddNumberToObject(un, "in_channels", u->in_channels);
    cJSON_AddNumberToObject(un, "cond_channels", u->cond_channels);
    cJSON_AddNumberToObject(un, "out_channels", u->out_channels);
    cJSON_AddNumberToObject(un, "base_channels", u->base_channels);
    cJSON_AddItemToObject(un, "channel_mults", cJSON_CreateIntArray(u->mults, u->n_levels));
    cJSON_AddNumberToObject(un, "res_blocks", u->res_blocks);
    cJSON_AddNumberToObject(un, "groups", u->groups);
    cJSON *levels = cJSON_AddArrayToObject(un, "attention_levels");
    for (int l = 0; l < u->n_levels; l++)
        if ((u->attn_levels >> l) & 1)
            cJSON_AddItemToArray(levels, cJSON_CreateNumber(l));
    cJSON_AddBoolToObject(un, "mid_attention", u->mid_attention != 0);
    cJSON_AddNumberToObject(un, "heads", u->heads);
    cJSON_AddNumberToObject(un, "dropout", u->dropout);
    cJSON_AddNumberToObject(un, "time_embedding_in", u->temb_in);
    cJSON_AddNumberToObject(un, "time_embedding", u->temb_dim);
    cJSON_AddNumberToObject(un, "context_dim", u->ctx_dim);
    cJSON_AddNumberToObject(un, "max_tags", u->max_tags);
    cJSON_AddStringToObject(root, "beta_schedule", drift_beta_schedule_name(c->schedule));
    cJSON_AddNumberToObject(root, "num_train_timesteps", c->timesteps);
    cJSON_AddBoolToObject(root, "zero_terminal_snr", c->zero_terminal_snr);
    cJSON_AddStringToObject(root, "prediction_type", drift_prediction_name(c->prediction));
    cJSON_AddNumberToObject(root, "data_mean", c->data_mean);
    cJSON_AddNumberToObject(root, "data_std", c->data_std);
    cJSON_AddItemToObject(root, "classes", string_array(c->class_names, c->n_classes));
    cJSON_AddItemToObject(root, "vocabulary", string_array(c->vocab, c->vocab_size));
    if (c->task_json) {
        cJSON *task = cJSON_Parse(c->task_json);
        if (task)
            cJSON_AddItemToObject(root, "task", task);
    }
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

typedef struct {
    const cJSON *obj;
    const char *where;
    drift_status status;
} reader;

static double get_num(reader *r, const char *key, double lo, double hi, double fallback, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->obj, key);
    if (!v) {
        if (required && r->status == DRIFT_OK)
            r->status = drift_fail(DRIFT_ERR_FORMAT, "model configuration: %s.%s is missing", r->where, key);
        return fallback;
    }
    double d = cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? 1 : 0) : v->valuedouble;
    if ((!cJSON_IsNumber(v) && !cJSON_IsBool(v)) || !(d >= lo && d <= hi)) {
        if (r->status == DRIFT_OK)
            r->status = drift_fail(DRIFT_ERR_FORMAT, "model configuration: %s.%s must be a number in [%g, %g]",
                                   r->where, key, lo, hi);
        return fallback;
    }
    return d;
}

static char **get_strings(reader *r, const char *key, int *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(r->obj, key);
    *n = 0;
    if (!a)
        return NULL;
    int count = cJSON_GetArraySize(a);
    if (!cJSON_IsArray(a) || count > 1000000) {
        r->status = drift_fail(DRIFT_ERR_FORMAT, "model configuration: %s must be a list of words", key);
        return NULL;
    }
    char **s = calloc((size_t)count + 1, sizeof *s);
    int i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, a)
    {
        if (!cJSON_IsString(item) || !s) {
            r->status = drift_fail(DRIFT_ERR_FORMAT, "model configuration: %s[%d] is not a string", key, i);
            free_strings(s, i);
            return NULL;
        }
        s[i++] = strdup(item->valuestring);
    }
    *n = count;
    return s;
}

static void read_unet(reader *r, drift_unet_config *u)
{
    u->dims = (int)get_num(r, "dims", 1, 2, 2, true);
    u->in_channels = (int)get_num(r, "in_channels", 1, 4096, 1, true);
    u->cond_channels = (int)get_num(r, "cond_channels", 0, 4096, 0, false);
    u->out_channels = (int)get_num(r, "out_channels", 1, 4096, u->in_channels, false);
    u->base_channels = (int)get_num(r, "base_channels", 1, 4096, 32, true);
    u->res_blocks = (int)get_num(r, "res_blocks", 1, 8, 2, true);
    u->groups = (int)get_num(r, "groups", 1, 4096, 8, true);
    u->mid_attention = (int)get_num(r, "mid_attention", 0, 1, 1, false);
    u->heads = (int)get_num(r, "heads", 1, 64, 1, false);
    u->dropout = (float)get_num(r, "dropout", 0, 0.99, 0, false);
    u->temb_in = (int)get_num(r, "time_embedding_in", 2, 4096, 32, false);
    u->temb_dim = (int)get_num(r, "time_embedding", 1, 8192, 128, false);
    u->ctx_dim = (int)get_num(r, "context_dim", 0, 4096, 0, false);
    u->max_tags = (int)get_num(r, "max_tags", 0, 64, 0, false);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r->obj, "channel_mults");
    int n = cJSON_GetArraySize(m);
    if (!cJSON_IsArray(m) || n < 1 || n > DRIFT_UNET_MAX_LEVELS) {
        if (r->status == DRIFT_OK)
            r->status = drift_fail(DRIFT_ERR_FORMAT, "model configuration: unet.channel_mults must list 1 to %d numbers",
                                   DRIFT_UNET_MAX_LEVELS);
        return;
    }
    u->n_levels = n;
    for (int i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetArrayItem(m, i);
        u->mults[i] = cJSON_IsNumber(v) ? v->valueint : 0;
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(r->obj, "attention_levels"), *item;
    u->attn_levels = 0;
    cJSON_ArrayForEach(item, a)
    {
        if (cJSON_IsNumber(item) && item->valueint >= 0 && item->valueint < n)
            u->attn_levels |= 1u << item->valueint;
    }
}

drift_status drift_model_config_from_json(const char *json, drift_model_config *out)
{
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return drift_fail(DRIFT_ERR_FORMAT, "model configuration is not a JSON object");
    }
    const cJSON *un = cJSON_GetObjectItemCaseSensitive(root, "unet");
    reader r = {un, "unet", DRIFT_OK};
    if (!cJSON_IsObject(un))
        r.status = drift_fail(DRIFT_ERR_FORMAT, "model configuration has no unet section");
    else
        read_unet(&r, &out->unet);
    r.obj = root;
    r.where = "model";
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "beta_schedule");
    if (r.status == DRIFT_OK && (!cJSON_IsString(v) || drift_beta_schedule_parse(v->valuestring, &out->schedule)))
        r.status = drift_fail(DRIFT_ERR_FORMAT, "model configuration: unknown beta_schedule");
    v = cJSON_GetObjectItemCaseSensitive(root, "prediction_type");
    if (r.status == DRIFT_OK && (!cJSON_IsString(v) || drift_prediction_parse(v->valuestring, &out->prediction)))
        r.status = drift_fail(DRIFT_ERR_FORMAT, "model configuration: unknown prediction_type");
    out->timesteps = (int)get_num(&r, "num_train_timesteps", 2, 100000, 1000, true);
    out->zero_terminal_snr = get_num(&r, "zero_terminal_snr", 0, 1, 0, false) != 0;
    out->data_mean = (float)get_num(&r, "data_mean", -1e30, 1e30, 0, false);
    out->data_std = (float)get_num(&r, "data_std", 1e-30, 1e30, 1, false);
    out->class_names = get_strings(&r, "classes", &out->n_classes);
    out->vocab = get_strings(&r, "vocabulary", &out->vocab_size);
    out->unet.n_classes = out->n_classes;
    out->unet.vocab_size = out->vocab_size;
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(root, "task");
    if (task && cJSON_IsObject(task))
        out->task_json = cJSON_PrintUnformatted(task);
    cJSON_Delete(root);
    if (r.status == DRIFT_OK)
        r.status = drift_unet_check_config(&out->unet);
    if (r.status != DRIFT_OK)
        drift_model_config_clear(out);
    return r.status;
}

/* ---- models and files ------------------------------------------------------ */

drift_status drift_model_create(const drift_model_config *cfg, uint64_t seed, drift_model **out)
{
    *out = NULL;
    drift_model *m = calloc(1, sizeof *m);
    if (!m)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a model");
    drift_status s = drift_model_config_copy(&m->cfg, cfg);
    if (s == DRIFT_OK) {
        m->cfg.unet.n_classes = m->cfg.n_classes;
        m->cfg.unet.vocab_size = m->cfg.vocab_size;
        s = drift_schedule_init(&m->sched, cfg->schedule, cfg->timesteps, cfg->zero_terminal_snr);
    }
    if (s == DRIFT_OK)
        s = drift_unet_create(&m->cfg.unet, seed, &m->net);
    if (s != DRIFT_OK) {
        drift_model_free(m);
        return s;
    }
    *out = m;
    return DRIFT_OK;
}

void drift_model_free(drift_model *m)
{
    if (!m)
        return;
    drift_unet_free(m->net);
    drift_schedule_free(&m->sched);
    drift_model_config_clear(&m->cfg);
    free(m);
}

drift_status drift_model_save(const drift_model *m, const char *path, drift_st_dtype dtype)
{
    char *json = drift_model_config_to_json(&m->cfg);
    if (!json)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory writing a model configuration");
    drift_status s = drift_safetensors_save_model(path, drift_unet_params(m->net), json, dtype);
    free(json);
    return s;
}

drift_status drift_model_load(const char *path, drift_model **out)
{
    *out = NULL;
    drift_safetensors *h = NULL;
    drift_status s = drift_safetensors_open(path, &h);
    const char *json = NULL;
    if (s == DRIFT_OK)
        s = drift_safetensors_model_config(h, &json);
    drift_model_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (s == DRIFT_OK && (s = drift_model_config_from_json(json, &cfg)) != DRIFT_OK)
        s = drift_fail(s, "%s: %s", path, drift_last_error());
    drift_model *m = NULL;
    if (s == DRIFT_OK)
        s = drift_model_create(&cfg, 0, &m);
    if (s == DRIFT_OK)
        s = drift_safetensors_load_params(h, drift_unet_params(m->net), "");
    drift_model_config_clear(&cfg);
    drift_safetensors_close(h);
    if (s != DRIFT_OK) {
        drift_model_free(m);
        return s;
    }
    *out = m;
    return DRIFT_OK;
}

drift_status drift_model_load_weights(drift_model *m, const char *path)
{
    drift_safetensors *h;
    drift_status s = drift_safetensors_open(path, &h);
    if (s != DRIFT_OK)
        return s;
    const char *json; /* only to check that the file is a drift model */
    s = drift_safetensors_model_config(h, &json);
    if (s == DRIFT_OK)
        s = drift_safetensors_load_params(h, drift_unet_params(m->net), "");
    drift_safetensors_close(h);
    return s;
}

static int find_word(char *const *words, int n, const char *w)
{
    for (int i = 0; w && i < n; i++)
        if (words[i] && strcmp(words[i], w) == 0)
            return i;
    return -1;
}

int drift_model_tag_id(const drift_model *m, const char *word)
{
    return find_word(m->cfg.vocab, m->cfg.vocab_size, word);
}

int drift_model_class_id(const drift_model *m, const char *name)
{
    return find_word(m->cfg.class_names, m->cfg.n_classes, name);
}

size_t drift_model_sample_dim(const drift_model *m, const int *spatial)
{
    size_t n = (size_t)m->cfg.unet.in_channels * (size_t)spatial[0];
    return m->cfg.unet.dims == 2 ? n * (size_t)spatial[1] : n;
}

/* ---- the model as a denoiser ------------------------------------------------ */

struct drift_model_denoiser {
    drift_model *m;
    drift_graph *g;
    int spatial[2];
    int max_rows;
    drift_sample_cond cond;
    int *row_class, *row_tags;
    float *row_extra;
    size_t extra_dim;
};

static size_t spatial_size(const drift_model *m, const int *spatial)
{
    return m->cfg.unet.dims == 2 ? (size_t)spatial[0] * spatial[1] : (size_t)spatial[0];
}

/* Rows [r0, r0+n) of one call: gather their conditioning, run the net. */
static drift_status run_rows(drift_model_denoiser *md, int r0, int n, size_t dim, const float *x,
                             const float *t, const int *sample, const unsigned char *uncond, float *pred)
{
    const drift_unet_config *u = &md->m->cfg.unet;
    drift_unet_cond c = {0};
    for (int i = 0; i < n; i++) {
        int r = r0 + i, s = sample[r];
        bool drop = uncond && uncond[r];
        if (u->n_classes > 0) {
            md->row_class[i] = drop || !md->cond.class_ids ? -1 : md->cond.class_ids[s];
            c.class_ids = md->row_class;
        }
        if (u->vocab_size > 0) {
            for (int j = 0; j < u->max_tags; j++)
                md->row_tags[i * u->max_tags + j] = drop || !md->cond.tag_ids ? -1 : md->cond.tag_ids[s * u->max_tags + j];
            c.tag_ids = md->row_tags;
        }
        if (u->cond_channels > 0) {
            memcpy(md->row_extra + i * md->extra_dim, md->cond.extra + (size_t)s * md->extra_dim,
                   md->extra_dim * sizeof(float));
            c.extra = md->row_extra;
        }
    }
    drift_graph_reset(md->g);
    int shape[4] = {n, u->in_channels, md->spatial[0], md->spatial[1]};
    drift_tensor *xt = drift_graph_wrap(md->g, (float *)x + (size_t)r0 * dim, u->dims + 2, shape);
    drift_tensor *y = drift_unet_forward(md->g, md->m->net, xt, t + r0, &c, NULL);
    if (!y)
        return drift_fail(drift_graph_status(md->g), "%s", drift_graph_error(md->g));
    memcpy(pred + (size_t)r0 * dim, y->data, (size_t)n * dim * sizeof(float));
    return DRIFT_OK;
}

static drift_status denoise_fn(void *user, int rows, size_t dim, const float *x, const float *t,
                               const int *sample, const unsigned char *uncond, float *pred)
{
    drift_model_denoiser *md = user;
    for (int r0 = 0; r0 < rows; r0 += md->max_rows) {
        int n = rows - r0 < md->max_rows ? rows - r0 : md->max_rows;
        drift_status s = run_rows(md, r0, n, dim, x, t, sample, uncond, pred);
        if (s != DRIFT_OK)
            return s;
    }
    return DRIFT_OK;
}

drift_status drift_model_denoiser_create(drift_model *m, const int *spatial, int batch,
                                         const drift_sample_cond *cond, int max_rows,
                                         drift_model_denoiser **out, drift_denoiser *d)
{
    *out = NULL;
    const drift_unet_config *u = &m->cfg.unet;
    if (u->cond_channels > 0 && !(cond && cond->extra))
        return drift_fail(DRIFT_ERR_ARG, "this model needs a conditioning input (%d channels)", u->cond_channels);
    drift_model_denoiser *md = calloc(1, sizeof *md);
    if (!md)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a denoiser");
    md->m = m;
    md->spatial[0] = spatial[0];
    md->spatial[1] = u->dims == 2 ? spatial[1] : 1;
    md->max_rows = max_rows > 0 ? max_rows : 2 * batch;
    if (cond)
        md->cond = *cond;
    md->extra_dim = (size_t)u->cond_channels * spatial_size(m, spatial);
    md->g = drift_graph_create();
    md->row_class = calloc((size_t)md->max_rows, sizeof(int));
    md->row_tags = calloc((size_t)md->max_rows * (u->max_tags + 1), sizeof(int));
    md->row_extra = calloc((size_t)md->max_rows * md->extra_dim + 1, sizeof(float));
    if (!md->g || !md->row_class || !md->row_tags || !md->row_extra) {
        drift_model_denoiser_free(md);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a denoiser");
    }
    drift_graph_set_grad(md->g, false);
    d->fn = denoise_fn;
    d->user = md;
    d->prediction = m->cfg.prediction;
    d->has_uncond = u->n_classes > 0 || u->vocab_size > 0;
    *out = md;
    return DRIFT_OK;
}

void drift_model_denoiser_free(drift_model_denoiser *md)
{
    if (!md)
        return;
    drift_graph_free(md->g);
    free(md->row_class);
    free(md->row_tags);
    free(md->row_extra);
    free(md);
}

drift_status drift_model_sample(drift_model *m, const drift_sampler_options *o, int batch,
                                const int *spatial, const drift_sample_cond *cond, int max_rows,
                                float *x)
{
    drift_model_denoiser *md;
    drift_denoiser d;
    drift_status s = drift_model_denoiser_create(m, spatial, batch, cond, max_rows, &md, &d);
    if (s != DRIFT_OK)
        return s;
    size_t dim = drift_model_sample_dim(m, spatial);
    s = drift_sample(&m->sched, &d, o, batch, dim, x);
    drift_model_denoiser_free(md);
    if (s == DRIFT_OK)
        for (size_t i = 0; i < (size_t)batch * dim; i++)
            x[i] = x[i] * m->cfg.data_std + m->cfg.data_mean;
    return s;
}
