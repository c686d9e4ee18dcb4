/* trainsetup.c: recipes to models, options and data (see trainsetup.h). */
#include "trainsetup.h"
#include "audio/pairs.h"
#include "audio/sounddata.h"
#include "vision/idx.h"
#include "vision/imgdata.h"
#include "vision/restore.h"
#include "vision/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void read_network(recipe *r, drift_unet_config *u, int in_channels, int dims)
{
    *u = drift_unet_ref_config(dims, in_channels);
    u->base_channels = (int)recipe_int(r, "base_channels", 1, 1024, u->base_channels);
    int mults[DRIFT_UNET_MAX_LEVELS];
    int n = recipe_ints(r, "channel_mults", mults, DRIFT_UNET_MAX_LEVELS, 1, 64);
    if (n > 0) {
        u->n_levels = n;
        memcpy(u->mults, mults, sizeof(int) * (size_t)n);
    }
    u->res_blocks = (int)recipe_int(r, "res_blocks", 1, 8, u->res_blocks);
    u->groups = (int)recipe_int(r, "groups", 1, 1024, u->groups);
    int levels[DRIFT_UNET_MAX_LEVELS];
    n = recipe_ints(r, "attention_levels", levels, DRIFT_UNET_MAX_LEVELS, 0, DRIFT_UNET_MAX_LEVELS - 1);
    u->attn_levels = 0;
    for (int i = 0; i < n; i++)
        u->attn_levels |= 1u << levels[i];
    u->mid_attention = (int)recipe_int(r, "mid_attention", 0, 1, 1);
    u->heads = (int)recipe_int(r, "heads", 1, 64, 1);
    u->dropout = (float)recipe_num(r, "dropout", 0, 0.9, 0);
    u->temb_in = (int)recipe_int(r, "time_embedding_in", 2, 1024, u->temb_in);
    u->temb_dim = (int)recipe_int(r, "time_embedding", 1, 4096, u->temb_dim);
}

static drift_status read_diffusion(recipe *r, drift_model_config *c)
{
    const char *sched = recipe_str(r, "beta_schedule", "cosine");
    const char *pred = recipe_str(r, "prediction", "v_prediction");
    drift_status s = drift_beta_schedule_parse(sched, &c->schedule);
    if (s == DRIFT_OK)
        s = drift_prediction_parse(pred, &c->prediction);
    c->timesteps = (int)recipe_int(r, "timesteps", 2, 100000, 1000);
    c->zero_terminal_snr = recipe_int(r, "zero_terminal_snr", 0, 1, 0) != 0;
    return s;
}

static void read_training(recipe *r, drift_train_options *o)
{
    drift_train_defaults(o);
    o->steps = recipe_int(r, "steps", 1, 1000000000L, 10000);
    o->batch = (int)recipe_int(r, "batch", 1, 4096, 32);
    o->lr = recipe_num(r, "lr", 1e-8, 1, 2e-4);
    o->min_lr = recipe_num(r, "min_lr", 0, 1, o->lr * 0.1);
    o->warmup = recipe_int(r, "warmup", 0, 1000000000L, 200);
    o->weight_decay = recipe_num(r, "weight_decay", 0, 1, 0);
    o->clip = recipe_num(r, "clip", 0, 1e6, 1.0);
    o->ema_decay = recipe_num(r, "ema", 0, 0.99999, 0.999);
    o->min_snr_gamma = recipe_num(r, "min_snr_gamma", 0, 1e6, 5);
    o->cond_drop = recipe_num(r, "cond_drop", 0, 1, 0.1);
    o->tag_drop = recipe_num(r, "tag_drop", 0, 1, 0);
    o->tag_drop_first = recipe_num(r, "tag_drop_first", 0, 1, 0);
    o->seed = (uint64_t)recipe_int(r, "seed", 0, 2147483647L, 0);
    o->checkpoint_every = recipe_int(r, "checkpoint_every", 0, 1000000000L, 500);
    o->model_dtype = recipe_int(r, "half_precision", 0, 1, 0) ? DRIFT_ST_F16 : DRIFT_ST_F32;
}

/* ---- data kinds -------------------------------------------------------- */

typedef struct {
    drift_image_set set;
    drift_image_source src;
} image_data;

static void image_data_free(void *p)
{
    image_data *d = p;
    drift_image_source_free(&d->src);
    drift_image_set_free(&d->set);
    free(d);
}

static drift_status setup_fashion(recipe *r, train_setup *ts, drift_model_config *c)
{
    int size = (int)recipe_int(r, "size", 28, 64, 32);
    int limit = (int)recipe_int(r, "limit", 0, 60000, 0);
    const char *cond = recipe_str(r, "conditioning", "class");
    image_data *d = calloc(1, sizeof *d);
    if (!d)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    drift_status s = drift_image_set_fashion_mnist(recipe_str(r, "data_dir", NULL), true, size, limit, &d->set);
    if (s != DRIFT_OK) {
        free(d);
        return s;
    }
    bool classes = strcmp(cond, "class") == 0;
    if (!classes && strcmp(cond, "none") != 0) {
        image_data_free(d);
        return drift_fail(DRIFT_ERR_ARG, "conditioning for fashion-mnist is 'class' or 'none', not '%s'", cond);
    }
    static char *names[10];
    for (int i = 0; i < 10; i++)
        names[i] = (char *)drift_fashion_mnist_class(i);
    if (classes) {
        c->n_classes = 10;
        c->class_names = names;
    }
    c->data_mean = 0.5f;
    c->data_std = 0.5f;
    ts->opts.spatial[0] = ts->opts.spatial[1] = size;
    ts->data_state = d;
    ts->data_free = image_data_free;
    return DRIFT_OK;
}

/* data = sounds:MANIFEST: normalised log-mels of a sound data set
 * (audio/sounddata.h), 1-D (mel bins as channels) or 2-D (dims = 2). */
static void sound_data_free(void *p)
{
    drift_sound_source_free(p);
}

static drift_status setup_sounds(recipe *r, train_setup *ts, drift_unet_config *u, drift_model_config *c,
                                 const char *manifest)
{
    drift_sound_source_options so = {.manifest = manifest};
    drift_sound_params_default(&so.params);
    so.params.frames = (int)recipe_int(r, "frames", 8, 4096, so.params.frames);
    so.params.n_mels = (int)recipe_int(r, "n_mels", 8, 512, so.params.n_mels);
    so.params.griffin_lim_iters = (int)recipe_int(r, "griffin_lim_iters", 0, 1000, so.params.griffin_lim_iters);
    so.params.base_note = (int)recipe_int(r, "base_note", 0, 127, so.params.base_note);
    so.range_db = (float)recipe_num(r, "db_range", 10, 200, 80);
    so.data_mean = (float)recipe_num(r, "data_mean", -1, 1, 0);
    so.data_std = (float)recipe_num(r, "data_std", 0.01, 10, 1);
    const char *cond = recipe_str(r, "conditioning", "tags");
    bool tags = strcmp(cond, "tags") == 0;
    if (!tags && strcmp(cond, "none") != 0)
        return drift_fail(DRIFT_ERR_ARG, "conditioning for sounds is 'tags' or 'none', not '%s'", cond);
    so.max_tags = tags ? (int)recipe_int(r, "max_tags", 1, 8, 4) : 0;
    int dims = (int)recipe_int(r, "dims", 1, 2, 1), ctx_dim = (int)recipe_int(r, "tag_embedding", 1, 1024, 64);
    read_network(r, u, dims == 1 ? so.params.n_mels : 1, dims);
    drift_sound_source *src = NULL;
    drift_status s = drift_sound_source_create(&so, &src);
    if (s != DRIFT_OK)
        return s;
    *c = drift_model_config_default(u);
    if (tags) {
        c->vocab = drift_sound_source_vocab(src, &c->vocab_size);
        c->unet.ctx_dim = ctx_dim;
        c->unet.max_tags = so.max_tags;
    }
    c->task_json = (char *)drift_sound_source_task_json(src);
    c->data_mean = so.data_mean;
    c->data_std = so.data_std;
    ts->opts.spatial[0] = dims == 1 ? so.params.frames : so.params.n_mels;
    ts->opts.spatial[1] = so.params.frames;
    ts->data = drift_sound_source_data(src);
    ts->data_state = src;
    ts->data_free = sound_data_free;
    return DRIFT_OK;
}

/* ---- data = denoise:DIR: noisy/clean audio pairs built on the fly ---- */

typedef struct {
    drift_clip_set clips;
    drift_pair_source *pairs;
    char *task_json;
} denoise_data;

static void denoise_data_free(void *p)
{
    denoise_data *d = p;
    drift_pair_source_free(d->pairs);
    drift_clip_set_free(&d->clips);
    free(d->task_json);
    free(d);
}

static drift_denoise_params read_denoise_params(recipe *r)
{
    drift_denoise_params p = drift_denoise_params_default();
    p.sample_rate = (int)recipe_int(r, "sample_rate", 8000, 192000, p.sample_rate);
    p.n_fft = (int)recipe_int(r, "n_fft", 16, 8192, p.n_fft);
    p.hop = (int)recipe_int(r, "hop", 1, 4096, p.hop);
    p.bins = (int)recipe_int(r, "bins", 1, 4096, p.bins);
    p.frames = (int)recipe_int(r, "frames", 8, 4096, p.frames);
    p.db_lo = (float)recipe_num(r, "db_lo", -200, 200, p.db_lo);
    p.db_hi = (float)recipe_num(r, "db_hi", -200, 200, p.db_hi);
    p.level_db = (float)recipe_num(r, "level_dbfs", -80, 0, p.level_db);
    return p;
}

static drift_status setup_denoise(recipe *r, train_setup *ts, const char *dir, drift_unet_config *u,
                                  drift_model_config *c)
{
    drift_denoise_params p = read_denoise_params(r);
    drift_pair_options po = {recipe_num(r, "snr_lo", -30, 60, -5), recipe_num(r, "snr_hi", -30, 60, 20), 0,
                             recipe_num(r, "context_seconds", 0, 600, 3), recipe_num(r, "noise_augment", 0, 1, 0)};
    double clip_seconds = recipe_num(r, "clip_seconds", 0, 36000, 30);
    drift_status s = drift_denoise_params_check(&p);
    denoise_data *d = s == DRIFT_OK ? calloc(1, sizeof *d) : NULL;
    if (s == DRIFT_OK && !d)
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    if (s != DRIFT_OK)
        return s;
    ts->data_state = d;
    ts->data_free = denoise_data_free;
    /* 1-D: bins are channels, (N, bins, frames); 2-D: one plane of
     * (bins, frames) per input. The memory layout is the same. */
    int dims = (int)recipe_int(r, "dims", 1, 2, 1);
    read_network(r, u, dims == 1 ? p.bins : 1, dims);
    u->cond_channels = dims == 1 ? 2 * p.bins : 2; /* noisy features and the Wiener gain */
    *c = drift_model_config_default(u);
    c->task_json = d->task_json = drift_denoise_params_to_json(&p);
    ts->opts.spatial[0] = dims == 1 ? p.frames : p.bins;
    ts->opts.spatial[1] = p.frames;
    s = d->task_json ? drift_clip_set_load(dir, p.sample_rate, clip_seconds, &d->clips)
                     : drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    if (s == DRIFT_OK)
        s = drift_pair_source_create(&d->clips, &p, &po, &d->pairs);
    if (s == DRIFT_OK)
        ts->data = drift_pair_source_data(d->pairs);
    return s;
}

/* ---- data = images:DIR: random crops of a folder of pictures ---- */

typedef struct {
    int size, channels, max_side;
    bool flips;
} picture_options;

/* The recipe keys of picture folders: size, channels, max_side, flips. */
static drift_status read_picture_options(recipe *r, int default_size, picture_options *o)
{
    o->size = (int)recipe_int(r, "size", 8, 1024, default_size);
    o->channels = (int)recipe_int(r, "channels", 1, 3, 3);
    o->max_side = (int)recipe_int(r, "max_side", 0, 65536, 512);
    o->flips = recipe_int(r, "flips", 0, 1, 1) != 0;
    if (o->channels == 2)
        return drift_fail(DRIFT_ERR_ARG, "channels for images: is 1 (gray) or 3 (RGB), not 2");
    return DRIFT_OK;
}

typedef struct {
    drift_picture_set set;
    drift_crop_source src;
} picture_data;

static void picture_data_free(void *p)
{
    picture_data *d = p;
    drift_picture_set_free(&d->set);
    free(d);
}

static drift_status setup_pictures(recipe *r, train_setup *ts, drift_unet_config *u, drift_model_config *c,
                                   const char *dir)
{
    picture_options po;
    drift_status s = read_picture_options(r, 64, &po);
    if (s != DRIFT_OK)
        return s;
    int size = po.size;
    read_network(r, u, po.channels, 2);
    *c = drift_model_config_default(u);
    picture_data *d = calloc(1, sizeof *d);
    if (!d)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    s = drift_picture_set_load(dir, po.channels, po.max_side, size, &d->set);
    if (s != DRIFT_OK) {
        free(d);
        return s;
    }
    static char task[64];
    snprintf(task, sizeof task, "{\"image_size\":%d}", size);
    c->task_json = task;
    c->data_mean = 0.5f;
    c->data_std = 0.5f;
    d->src = (drift_crop_source){&d->set, size, c->data_mean, c->data_std, po.flips};
    ts->opts.spatial[0] = ts->opts.spatial[1] = size;
    ts->data = drift_crop_source_data(&d->src);
    ts->data_state = d;
    ts->data_free = picture_data_free;
    return DRIFT_OK;
}

/* ---- data = restore:DIR: crops of a folder of pictures, degraded ---- */

typedef struct {
    drift_picture_set set;
    drift_restore_source src;
} restore_data;

static void restore_data_free(void *p)
{
    restore_data *d = p;
    drift_restore_source_free(&d->src);
    drift_picture_set_free(&d->set);
    free(d);
}

/* A conditional restoration model (vision/restore.h): the degraded crop
 * and what is known of each pixel as conditioning planes. */
static drift_status setup_restore(recipe *r, train_setup *ts, drift_unet_config *u, drift_model_config *c,
                                  const char *dir)
{
    picture_options po;
    drift_status s = read_picture_options(r, 32, &po);
    if (s != DRIFT_OK)
        return s;
    int size = po.size, channels = po.channels;
    drift_restore_fill_kind fill;
    s = drift_restore_fill_parse(recipe_str(r, "fill", "tension"), &fill);
    if (s != DRIFT_OK)
        return s;
    if (size % 4)
        return drift_fail(DRIFT_ERR_ARG, "size for restoration must be a multiple of 4 (upscaling by 4), not %d",
                          size);
    read_network(r, u, channels, 2);
    u->cond_channels = DRIFT_RESTORE_COND_PLANES(channels);
    *c = drift_model_config_default(u);
    restore_data *d = calloc(1, sizeof *d);
    if (!d)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    ts->data_state = d;
    ts->data_free = restore_data_free;
    static char task[96];
    snprintf(task, sizeof task, "{\"image_size\":%d,\"restore\":1,\"fill\":\"%s\"}", size,
             drift_restore_fill_name(fill));
    c->task_json = task;
    c->data_mean = 0; /* the network generates the residual picture - base */
    c->data_std = DRIFT_RESTORE_RESIDUAL_STD;
    ts->opts.spatial[0] = ts->opts.spatial[1] = size;
    s = drift_picture_set_load(dir, channels, po.max_side, 2 * size, &d->set);
    if (s == DRIFT_OK)
        s = drift_restore_source_init(&d->src, &d->set, size, po.flips, fill);
    if (s == DRIFT_OK)
        ts->data = drift_restore_source_data(&d->src);
    return s;
}

#define DATA_KINDS "fashion-mnist, images:FOLDER, restore:FOLDER, sounds:MANIFEST, denoise:FOLDER"

drift_status train_setup_from_recipe(recipe *r, train_setup *ts)
{
    memset(ts, 0, sizeof *ts);
    const char *data = recipe_str(r, "data", NULL);
    if (!data)
        return drift_fail(DRIFT_ERR_ARG, "the recipe names no data (data = one of %s)", DATA_KINDS);
    drift_unet_config u;
    drift_model_config c;
    read_training(r, &ts->opts);
    drift_status s;
    if (strcmp(data, "fashion-mnist") == 0) {
        read_network(r, &u, 1, 2);
        c = drift_model_config_default(&u);
        s = setup_fashion(r, ts, &c);
    } else if (strncmp(data, "sounds:", 7) == 0) {
        s = setup_sounds(r, ts, &u, &c, data + 7);
    } else if (strncmp(data, "denoise:", 8) == 0) {
        s = setup_denoise(r, ts, data + 8, &u, &c);
    } else if (strncmp(data, "images:", 7) == 0) {
        s = setup_pictures(r, ts, &u, &c, data + 7);
    } else if (strncmp(data, "restore:", 8) == 0) {
        s = setup_restore(r, ts, &u, &c, data + 8);
    } else {
        s = drift_fail(DRIFT_ERR_ARG, "unknown data '%s' (known: %s)", data, DATA_KINDS);
    }
    if (s == DRIFT_OK)
        s = read_diffusion(r, &c);
    uint64_t init_seed = (uint64_t)recipe_int(r, "init_seed", 0, 2147483647L, 0);
    if (s == DRIFT_OK)
        s = recipe_status(r);
    if (s == DRIFT_OK) {
        c.unet.n_classes = c.n_classes;
        c.unet.vocab_size = c.vocab_size;
        s = drift_model_create(&c, init_seed, &ts->model);
    }
    if (s == DRIFT_OK && ts->data_free == image_data_free) {
        image_data *d = ts->data_state;
        s = drift_image_source_init(&d->src, &d->set, ts->opts.seed, c.data_mean, c.data_std, false,
                                    c.n_classes > 0);
        ts->data = drift_image_source_data(&d->src);
    }
    if (s != DRIFT_OK)
        train_setup_free(ts);
    return s;
}

void train_setup_free(train_setup *ts)
{
    drift_model_free(ts->model);
    if (ts->data_free)
        ts->data_free(ts->data_state);
    memset(ts, 0, sizeof *ts);
}

drift_status train_write_loss_curve(const char *checkpoint, const char *model_path, char *png, size_t size)
{
    float *loss;
    size_t n;
    drift_status s = drift_train_loss_log(checkpoint, &loss, &n);
    if (s != DRIFT_OK)
        return s;
    if (n == 0)
        return drift_fail(DRIFT_ERR_ARG, "no steps recorded yet");
    float *smooth = malloc(n * sizeof(float));
    if (!smooth) {
        free(loss);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    }
    size_t window = n / 50 + 1;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += loss[i];
        if (i >= window)
            sum -= loss[i - window];
        smooth[i] = (float)(sum / (double)(i < window ? i + 1 : window));
    }
    const char *dot = strrchr(model_path, '.'), *slash = strrchr(model_path, '/');
    int stem = dot && (!slash || dot > slash) ? (int)(dot - model_path) : (int)strlen(model_path);
    snprintf(png, size, "%.*s.loss.png", stem, model_path);
    drift_series series[2] = {{NULL, loss, (int)n, "loss per step"}, {NULL, smooth, (int)n, "moving average"}};
    drift_line_plot plot = {series, 2, "training loss", "step", "loss", 1, 0, 0};
    s = drift_plot_lines(png, &plot);
    free(loss);
    free(smooth);
    return s;
}
