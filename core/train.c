/* train.c: the training loop, checkpoints and resume (see train.h). */
#include "train.h"
#include "op_loss.h"
#include "optim.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void drift_train_defaults(drift_train_options *o)
{
    memset(o, 0, sizeof *o);
    o->steps = 1000;
    o->batch = 32;
    o->lr = 2e-4;
    o->min_lr = 2e-5;
    o->warmup = 100;
    o->weight_decay = 0.0;
    o->clip = 1.0;
    o->ema_decay = 0.999;
    o->min_snr_gamma = 5.0;
    o->cond_drop = 0.1;
    o->seed = 0;
    o->model_dtype = DRIFT_ST_F32;
}

/* ---- the background loader ----------------------------------------------- */

typedef struct {
    const drift_data_source *src;
    uint64_t seed;
    drift_batch buf[2];
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int64_t want, ready; /* the step asked for, the step filled (-1 none) */
    drift_status status;
    char error[512];
    bool quit, started;
} loader;

static void *loader_main(void *arg)
{
    loader *l = arg;
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (!l->quit && l->want == l->ready)
            pthread_cond_wait(&l->cond, &l->lock);
        if (l->quit)
            break;
        int64_t step = l->want;
        pthread_mutex_unlock(&l->lock);
        drift_rng rng;
        drift_rng_init(&rng, l->seed, ((uint64_t)step << 1) | 1u);
        drift_status s = l->src->fill(l->src->user, step, &rng, &l->buf[step & 1]);
        pthread_mutex_lock(&l->lock);
        if (s != DRIFT_OK && l->status == DRIFT_OK) {
            l->status = s;
            snprintf(l->error, sizeof l->error, "%s", drift_last_error());
        }
        l->ready = step;
        pthread_cond_broadcast(&l->cond);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

static void loader_request(loader *l, int64_t step)
{
    pthread_mutex_lock(&l->lock);
    l->want = step;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
}

static drift_status loader_wait(loader *l, int64_t step, drift_batch **out)
{
    pthread_mutex_lock(&l->lock);
    while (l->ready != step && l->status == DRIFT_OK)
        pthread_cond_wait(&l->cond, &l->lock);
    drift_status s = l->status;
    pthread_mutex_unlock(&l->lock);
    if (s != DRIFT_OK)
        return drift_fail(s, "%s", l->error);
    *out = &l->buf[step & 1];
    return DRIFT_OK;
}

static void loader_stop(loader *l)
{
    if (l->started) {
        pthread_mutex_lock(&l->lock);
        l->quit = true;
        pthread_cond_broadcast(&l->cond);
        pthread_mutex_unlock(&l->lock);
        pthread_join(l->thread, NULL);
    }
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cond);
    for (int i = 0; i < 2; i++) {
        free(l->buf[i].x0);
        free(l->buf[i].class_ids);
        free(l->buf[i].tag_ids);
        free(l->buf[i].extra);
    }
}

static drift_status loader_start(loader *l, const drift_data_source *src, const drift_model *m,
                                 const drift_train_options *o, size_t dim, size_t extra_dim)
{
    memset(l, 0, sizeof *l);
    l->src = src;
    l->seed = o->seed;
    l->want = l->ready = -1;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    const drift_unet_config *u = &m->cfg.unet;
    for (int i = 0; i < 2; i++) {
        drift_batch *b = &l->buf[i];
        b->size = o->batch;
        b->dim = dim;
        b->extra_dim = extra_dim;
        b->x0 = calloc((size_t)o->batch * dim, sizeof(float));
        b->class_ids = calloc((size_t)o->batch, sizeof(int));
        b->tag_ids = calloc((size_t)o->batch * (u->max_tags + 1), sizeof(int));
        b->extra = calloc((size_t)o->batch * extra_dim + 1, sizeof(float));
        if (!b->x0 || !b->class_ids || !b->tag_ids || !b->extra)
            return drift_fail(DRIFT_ERR_NOMEM, "out of memory for training batches");
        for (int j = 0; j < o->batch; j++)
            b->class_ids[j] = -1;
        for (int j = 0; j < o->batch * u->max_tags; j++)
            b->tag_ids[j] = -1;
    }
    if (pthread_create(&l->thread, NULL, loader_main, l) != 0)
        return drift_fail(DRIFT_ERR_NOMEM, "cannot start the data loading thread");
    l->started = true;
    return DRIFT_OK;
}

/* ---- state, checkpoints ---------------------------------------------------- */

typedef struct {
    drift_model *m;
    const drift_train_options *o;
    drift_adamw *opt;
    drift_ema *ema;
    float *losses; /* (o->steps) */
    int64_t step;  /* steps done */
} trainer;

static drift_status save_checkpoint(trainer *tr)
{
    const drift_train_options *o = tr->o;
    drift_params *p = drift_unet_params(tr->m->net);
    drift_status s = DRIFT_OK;
    if (o->skip_writes)
        return DRIFT_OK;
    if (o->checkpoint_path) {
        char *json = drift_model_config_to_json(&tr->m->cfg);
        char num[32];
        drift_st_writer *w = drift_st_writer_create();
        if (!w || !json) {
            free(json);
            drift_st_writer_free(w);
            return drift_fail(DRIFT_ERR_NOMEM, "out of memory writing a checkpoint");
        }
        drift_st_writer_meta(w, "drift.format", DRIFT_MODEL_FORMAT);
        drift_st_writer_meta(w, "drift.config", json);
        snprintf(num, sizeof num, "%lld", (long long)tr->step);
        drift_st_writer_meta(w, "train.step", num);
        snprintf(num, sizeof num, "%llu", (unsigned long long)o->seed);
        drift_st_writer_meta(w, "train.seed", num);
        snprintf(num, sizeof num, "%lld", (long long)(tr->ema ? drift_ema_updates(tr->ema) : 0));
        drift_st_writer_meta(w, "train.ema_updates", num);
        drift_st_writer_add_params(w, p, NULL, "model.", DRIFT_ST_F32);
        drift_st_writer_add_params(w, p, drift_adamw_m(tr->opt), "adam.m.", DRIFT_ST_F32);
        drift_st_writer_add_params(w, p, drift_adamw_v(tr->opt), "adam.v.", DRIFT_ST_F32);
        if (tr->ema)
            drift_st_writer_add_params(w, p, drift_params_data(drift_ema_params(tr->ema)), "ema.", DRIFT_ST_F32);
        int n_loss = (int)tr->step;
        if (n_loss > 0)
            drift_st_writer_add(w, "train.loss", 1, &n_loss, tr->losses, DRIFT_ST_F32);
        s = drift_st_writer_save(w, o->checkpoint_path);
        drift_st_writer_free(w);
        free(json);
    }
    if (s == DRIFT_OK && o->model_path) {
        if (tr->ema)
            drift_ema_swap(tr->ema, p);
        s = drift_model_save(tr->m, o->model_path, o->model_dtype);
        if (tr->ema)
            drift_ema_swap(tr->ema, p);
    }
    return s;
}

static drift_status resume(trainer *tr)
{
    const drift_train_options *o = tr->o;
    if (!o->checkpoint_path || access(o->checkpoint_path, F_OK) != 0)
        return DRIFT_OK;
    drift_safetensors *h;
    drift_status s = drift_safetensors_open(o->checkpoint_path, &h);
    if (s != DRIFT_OK)
        return s;
    drift_params *p = drift_unet_params(tr->m->net);
    char *json = drift_model_config_to_json(&tr->m->cfg);
    const char *theirs = drift_safetensors_meta(h, "drift.config");
    const char *step = drift_safetensors_meta(h, "train.step");
    const char *ema_updates = drift_safetensors_meta(h, "train.ema_updates");
    if (!json || !theirs || !step || strcmp(json, theirs) != 0)
        s = drift_fail(DRIFT_ERR_FORMAT,
                       "%s was made for another model or recipe; remove it or choose another checkpoint path",
                       o->checkpoint_path);
    free(json);
    if (s == DRIFT_OK)
        tr->step = strtoll(step, NULL, 10);
    if (s == DRIFT_OK && (tr->step < 0 || tr->step > o->steps))
        s = drift_fail(DRIFT_ERR_FORMAT, "%s is at step %lld, beyond this run's %lld steps", o->checkpoint_path,
                       (long long)tr->step, (long long)o->steps);
    if (s == DRIFT_OK)
        s = drift_safetensors_load_params(h, p, "model.");
    if (s == DRIFT_OK)
        s = drift_safetensors_load_buffer(h, p, drift_adamw_m(tr->opt), "adam.m.");
    if (s == DRIFT_OK)
        s = drift_safetensors_load_buffer(h, p, drift_adamw_v(tr->opt), "adam.v.");
    if (s == DRIFT_OK && tr->ema) {
        s = drift_safetensors_load_buffer(h, p, drift_params_data(drift_ema_params(tr->ema)), "ema.");
        drift_ema_set_updates(tr->ema, ema_updates ? strtoll(ema_updates, NULL, 10) : tr->step);
    }
    if (s == DRIFT_OK && tr->step > 0)
        s = drift_safetensors_read(h, "train.loss", tr->losses, (size_t)tr->step);
    if (s == DRIFT_OK)
        drift_adamw_set_steps(tr->opt, tr->step);
    drift_safetensors_close(h);
    return s;
}

/* ---- one step -------------------------------------------------------------- */

typedef struct {
    float *xt, *target, *eps, *weights, *t;
    int *class_ids, *tag_ids;
} step_buffers;

static float snr_weight(drift_prediction p, double snr, double gamma)
{
    if (gamma <= 0)
        return 1.0f;
    snr = fmax(snr, 1e-8);
    double m = fmin(snr, gamma);
    switch (p) {
    case DRIFT_PRED_EPS: return (float)(m / snr);
    case DRIFT_PRED_V: return (float)(m / (snr + 1.0));
    case DRIFT_PRED_X0: return (float)m;
    }
    return 1.0f;
}

/* Noises the batch and fills the targets for step k. */
static void prepare_step(trainer *tr, int64_t k, const drift_batch *b, step_buffers *sb)
{
    const drift_model *m = tr->m;
    const drift_train_options *o = tr->o;
    const drift_unet_config *u = &m->cfg.unet;
    drift_rng rng;
    drift_rng_init(&rng, o->seed, (uint64_t)k << 1);
    drift_rng_normal(&rng, sb->eps, (size_t)b->size * b->dim);
    for (int i = 0; i < b->size; i++) {
        int t = (int)drift_rng_below(&rng, (uint32_t)m->cfg.timesteps);
        double alpha, sigma;
        drift_schedule_alpha_sigma(&m->sched, t, &alpha, &sigma);
        size_t off = (size_t)i * b->dim;
        for (size_t j = 0; j < b->dim; j++)
            sb->xt[off + j] = (float)(alpha * b->x0[off + j] + sigma * sb->eps[off + j]);
        drift_prediction_target(m->cfg.prediction, alpha, sigma, b->x0 + off, sb->eps + off, b->dim,
                                sb->target + off);
        sb->t[i] = (float)t;
        sb->weights[i] = snr_weight(m->cfg.prediction, alpha * alpha / fmax(sigma * sigma, 1e-20), o->min_snr_gamma);
        bool drop = drift_rng_uniform(&rng) < o->cond_drop;
        sb->class_ids[i] = drop ? -1 : b->class_ids[i];
        int *tags = sb->tag_ids + i * u->max_tags, others = 0;
        for (int j = 0; j < u->max_tags; j++) {
            int id = drop ? -1 : b->tag_ids[i * u->max_tags + j];
            /* draws only when tag dropping is on, so runs without it keep their numbers */
            if (j > 0 && id >= 0 && o->tag_drop > 0 && drift_rng_uniform(&rng) < o->tag_drop)
                id = -1;
            tags[j] = id;
            others += j > 0 && id >= 0;
        }
        if (others > 0 && tags[0] >= 0 && o->tag_drop_first > 0 && drift_rng_uniform(&rng) < o->tag_drop_first)
            tags[0] = -1;
    }
}

/* Rows [lo, hi) of the global batch are this process's. */
static void shard_rows(const drift_train_options *o, int *lo, int *hi)
{
    int n = o->shard_count > 1 ? o->shard_count : 1, i = o->shard_count > 1 ? o->shard_index : 0;
    *lo = (int)((int64_t)i * o->batch / n);
    *hi = (int)((int64_t)(i + 1) * o->batch / n);
}

static drift_status train_step(trainer *tr, drift_graph *g, int64_t k, const drift_batch *b, step_buffers *sb,
                               double *loss_out, double *lr_out)
{
    drift_model *m = tr->m;
    const drift_unet_config *u = &m->cfg.unet;
    drift_params *p = drift_unet_params(m->net);
    prepare_step(tr, k, b, sb);
    int lo, hi;
    shard_rows(tr->o, &lo, &hi);
    for (int i = lo; i < hi; i++) /* the loss is a mean over the global batch */
        sb->weights[i] *= (float)(hi - lo) / (float)b->size;
    drift_graph_reset(g);
    int shape[4] = {hi - lo, u->in_channels, tr->o->spatial[0], tr->o->spatial[1]};
    size_t extra_dim = b->extra_dim;
    drift_unet_cond cond = {u->n_classes ? sb->class_ids + lo : NULL, u->vocab_size ? sb->tag_ids + lo * u->max_tags : NULL,
                            u->cond_channels ? b->extra + lo * extra_dim : NULL};
    drift_rng dropout_rng;
    drift_rng_init(&dropout_rng, tr->o->seed ^ 0x64726f70u, (uint64_t)k);
    drift_params_zero_grad(p);
    size_t off = (size_t)lo * b->dim;
    drift_tensor *y = drift_unet_forward(g, m->net, drift_graph_wrap(g, sb->xt + off, u->dims + 2, shape), sb->t + lo,
                                         &cond, &dropout_rng);
    drift_tensor *loss = drift_mse(g, y, drift_graph_wrap(g, sb->target + off, u->dims + 2, shape), sb->weights + lo);
    if (drift_graph_backward(g, loss) != DRIFT_OK)
        return drift_fail(drift_graph_status(g), "step %lld: %s", (long long)k + 1, drift_graph_error(g));
    *loss_out = loss->data[0];
    drift_status s = DRIFT_OK;
    if (tr->o->reduce && (s = tr->o->reduce(tr->o->reduce_user, drift_params_grad(p), drift_params_numel(p),
                                            loss_out)) != DRIFT_OK)
        return s;
    double norm = 0;
    s = drift_clip_grad_norm(p, tr->o->clip > 0 ? (float)tr->o->clip : INFINITY, &norm);
    if (!isfinite(*loss_out) || !isfinite(norm) || s != DRIFT_OK)
        return drift_fail(DRIFT_ERR_NUMERIC, "training diverged at step %lld (loss %g, gradient norm %g); "
                          "the last checkpoint is kept", (long long)k + 1, *loss_out, norm);
    drift_lr_schedule sched = {tr->o->lr, tr->o->min_lr, tr->o->warmup, tr->o->steps};
    *lr_out = drift_lr_at(&sched, k);
    s = drift_adamw_step(tr->opt, (float)*lr_out);
    if (s == DRIFT_OK && tr->ema)
        s = drift_ema_update(tr->ema, p);
    return s;
}

/* ---- the loop ---------------------------------------------------------------- */

static drift_status check_options(const drift_model *m, const drift_train_options *o)
{
    if (o->shard_count > 1 && (o->shard_index < 0 || o->shard_index >= o->shard_count || o->batch < o->shard_count))
        return drift_fail(DRIFT_ERR_ARG, "shard %d of %d cannot split a batch of %d", o->shard_index, o->shard_count,
                          o->batch);
    if (o->steps < 1 || o->batch < 1)
        return drift_fail(DRIFT_ERR_ARG, "training needs steps >= 1 and batch >= 1 (got %lld, %d)",
                          (long long)o->steps, o->batch);
    if (!(o->lr > 0) || o->min_lr < 0 || o->warmup < 0 || o->clip < 0 || o->ema_decay < 0 || o->ema_decay >= 1 ||
        o->cond_drop < 0 || o->cond_drop > 1 || o->tag_drop < 0 || o->tag_drop > 1 || o->tag_drop_first < 0 ||
        o->tag_drop_first > 1 || o->min_snr_gamma < 0 ||
        o->checkpoint_every < 0)
        return drift_fail(DRIFT_ERR_ARG, "bad training options (learning rate, warmup, clip, EMA, condition or tag "
                                         "dropping, or SNR gamma)");
    int unit = 1 << (m->cfg.unet.n_levels - 1);
    for (int d = 0; d < m->cfg.unet.dims; d++)
        if (o->spatial[d] < unit || o->spatial[d] % unit)
            return drift_fail(DRIFT_ERR_ARG, "sample size %d must be a multiple of %d for this U-Net", o->spatial[d], unit);
    return DRIFT_OK;
}

drift_status drift_train(drift_model *m, const drift_data_source *src, const drift_train_options *o)
{
    drift_status s = check_options(m, o);
    if (s != DRIFT_OK)
        return s;
    const drift_unet_config *u = &m->cfg.unet;
    int spatial[2] = {o->spatial[0], u->dims == 2 ? o->spatial[1] : 1};
    size_t dim = drift_model_sample_dim(m, spatial);
    size_t extra_dim = (size_t)u->cond_channels * spatial[0] * spatial[1];
    drift_params *p = drift_unet_params(m->net);
    drift_adamw_config ac = drift_adamw_defaults();
    ac.weight_decay = (float)o->weight_decay;
    trainer tr = {m, o, drift_adamw_create(p, &ac), o->ema_decay > 0 ? drift_ema_create(p, (float)o->ema_decay, true) : NULL,
                  calloc((size_t)o->steps, sizeof(float)), 0};
    size_t n = (size_t)o->batch * dim;
    step_buffers sb = {malloc(n * sizeof(float)), malloc(n * sizeof(float)), malloc(n * sizeof(float)),
                       malloc((size_t)o->batch * sizeof(float)), malloc((size_t)o->batch * sizeof(float)),
                       malloc((size_t)o->batch * sizeof(int)), malloc((size_t)o->batch * (u->max_tags + 1) * sizeof(int))};
    drift_graph *g = drift_graph_create();
    loader ld;
    bool ok = tr.opt && (tr.ema || o->ema_decay <= 0) && tr.losses && sb.xt && sb.target && sb.eps && sb.weights &&
              sb.t && sb.class_ids && sb.tag_ids && g;
    s = ok ? resume(&tr) : drift_fail(DRIFT_ERR_NOMEM, "out of memory setting up training");
    bool started = false;
    if (s == DRIFT_OK) {
        s = loader_start(&ld, src, m, o, dim, extra_dim);
        started = true;
    }
    if (s == DRIFT_OK && tr.step < o->steps)
        loader_request(&ld, tr.step);
    bool stop = false;
    while (s == DRIFT_OK && tr.step < o->steps && !stop) {
        drift_batch *b = NULL;
        s = loader_wait(&ld, tr.step, &b);
        if (s != DRIFT_OK)
            break;
        /* The loader fills the other buffer meanwhile: step k's batch stays
         * untouched until step k + 2 is requested. */
        if (tr.step + 1 < o->steps)
            loader_request(&ld, tr.step + 1);
        double loss = 0, lr = 0;
        s = train_step(&tr, g, tr.step, b, &sb, &loss, &lr);
        if (s != DRIFT_OK)
            break;
        tr.losses[tr.step++] = (float)loss;
        if (o->progress)
            stop = o->progress(o->progress_user, tr.step, o->steps, loss, lr) != 0;
        bool due = o->checkpoint_every > 0 && tr.step % o->checkpoint_every == 0;
        if (due || tr.step == o->steps || stop)
            s = save_checkpoint(&tr);
    }
    if (started)
        loader_stop(&ld);
    drift_graph_free(g);
    drift_adamw_free(tr.opt);
    drift_ema_free(tr.ema);
    free(tr.losses);
    free(sb.xt); free(sb.target); free(sb.eps); free(sb.weights); free(sb.t); free(sb.class_ids); free(sb.tag_ids);
    return s;
}

drift_status drift_train_loss_log(const char *checkpoint_path, float **losses, size_t *n)
{
    *losses = NULL;
    *n = 0;
    drift_safetensors *h;
    drift_status s = drift_safetensors_open(checkpoint_path, &h);
    if (s != DRIFT_OK)
        return s;
    const drift_st_info *info = drift_safetensors_find(h, "train.loss");
    if (info && info->numel > 0) {
        *losses = malloc(info->numel * sizeof(float));
        if (!*losses)
            s = drift_fail(DRIFT_ERR_NOMEM, "out of memory reading a loss log");
        else if ((s = drift_safetensors_read(h, "train.loss", *losses, info->numel)) == DRIFT_OK)
            *n = info->numel;
    }
    drift_safetensors_close(h);
    return s;
}
