/* sound.c: drift's sound representation (normalised log-mel spectrograms),
 * its parameters in a model's task JSON, tag prompts, and generation with
 * continuation for clips longer than one window (see sound.h). */
#include "sound.h"

#include "mel.h"
#include "phase.h"
#include "stft.h"
#include "taskjson.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- parameters --------------------------------------------------------- */

drift_status drift_sound_params_default(drift_sound_params *p)
{
    drift_spec_norm n = drift_spec_norm_default();
    *p = (drift_sound_params){.sample_rate = 22050, .n_fft = 1024, .hop = 256, .n_mels = 80, .frames = 128,
                              .fmin = 0, .fmax = 11025, .db_lo = n.lo_db, .db_hi = n.hi_db,
                              .griffin_lim_iters = 32, .base_note = 60};
    return DRIFT_OK;
}

drift_status drift_sound_params_check(const drift_sound_params *p)
{
    if (p->sample_rate < 1000 || p->sample_rate > 192000)
        return drift_fail(DRIFT_ERR_ARG, "sound sample_rate must be 1000..192000 Hz, got %d", p->sample_rate);
    if (p->n_fft < 16 || p->n_fft > 16384 || p->hop < 1 || p->hop > p->n_fft)
        return drift_fail(DRIFT_ERR_ARG, "sound n_fft (%d) must be 16..16384 and hop (%d) 1..n_fft", p->n_fft,
                          p->hop);
    if (p->n_mels < 1 || p->n_mels > p->n_fft / 2 + 1)
        return drift_fail(DRIFT_ERR_ARG, "sound n_mels must be 1..n_fft/2+1 (%d), got %d", p->n_fft / 2 + 1,
                          p->n_mels);
    if (p->frames < 2 || p->frames > 65536)
        return drift_fail(DRIFT_ERR_ARG, "sound frames must be 2..65536, got %d", p->frames);
    if (!(p->fmin >= 0) || !(p->fmax > p->fmin) || p->fmax > p->sample_rate / 2.0f + 0.5f)
        return drift_fail(DRIFT_ERR_ARG, "sound fmin/fmax (%g, %g) must satisfy 0 <= fmin < fmax <= rate/2",
                          p->fmin, p->fmax);
    if (!(p->db_lo < p->db_hi) || !isfinite(p->db_lo) || !isfinite(p->db_hi))
        return drift_fail(DRIFT_ERR_ARG, "sound db_lo (%g) must be below db_hi (%g)", p->db_lo, p->db_hi);
    if (p->griffin_lim_iters < 0 || p->griffin_lim_iters > 10000)
        return drift_fail(DRIFT_ERR_ARG, "sound griffin_lim_iters must be 0..10000, got %d", p->griffin_lim_iters);
    if (p->base_note < 0 || p->base_note > 127)
        return drift_fail(DRIFT_ERR_ARG, "sound base_note must be a MIDI note 0..127, got %d", p->base_note);
    return DRIFT_OK;
}

char *drift_sound_params_to_json(const drift_sound_params *p)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "kind", "sound");
    cJSON_AddNumberToObject(o, "sample_rate", p->sample_rate);
    cJSON_AddNumberToObject(o, "n_fft", p->n_fft);
    cJSON_AddNumberToObject(o, "hop", p->hop);
    cJSON_AddNumberToObject(o, "n_mels", p->n_mels);
    cJSON_AddNumberToObject(o, "frames", p->frames);
    cJSON_AddNumberToObject(o, "fmin", p->fmin);
    cJSON_AddNumberToObject(o, "fmax", p->fmax);
    cJSON_AddNumberToObject(o, "db_lo", p->db_lo);
    cJSON_AddNumberToObject(o, "db_hi", p->db_hi);
    cJSON_AddNumberToObject(o, "griffin_lim_iters", p->griffin_lim_iters);
    cJSON_AddNumberToObject(o, "base_note", p->base_note);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

drift_status drift_sound_params_from_json(const char *task_json, drift_sound_params *p)
{
    drift_sound_params_default(p);
    if (!task_json)
        return drift_fail(DRIFT_ERR_ARG, "not a sound model: it has no task parameters");
    cJSON *o = cJSON_Parse(task_json);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return drift_fail(DRIFT_ERR_FORMAT, "the model's task parameters are not a JSON object");
    }
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    drift_status s = DRIFT_OK;
    if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "sound") != 0)
        s = drift_fail(DRIFT_ERR_ARG, "not a sound model (its task kind is '%s')",
                       cJSON_IsString(kind) ? kind->valuestring : "missing");
    const char *ints[] = {"sample_rate", "n_fft", "hop", "n_mels", "frames", "griffin_lim_iters", "base_note"};
    int *ivals[] = {&p->sample_rate, &p->n_fft, &p->hop, &p->n_mels, &p->frames, &p->griffin_lim_iters,
                    &p->base_note};
    for (int i = 0; i < 7 && s == DRIFT_OK; i++)
        s = drift_task_json_int(o, "sound", ints[i], ivals[i]);
    const char *floats[] = {"fmin", "fmax", "db_lo", "db_hi"};
    float *fvals[] = {&p->fmin, &p->fmax, &p->db_lo, &p->db_hi};
    for (int i = 0; i < 4 && s == DRIFT_OK; i++)
        s = drift_task_json_float(o, "sound", floats[i], fvals[i]);
    cJSON_Delete(o);
    return s == DRIFT_OK ? drift_sound_params_check(p) : s;
}

drift_status drift_sound_params_from_model(const drift_model *m, drift_sound_params *p)
{
    drift_status s = drift_sound_params_from_json(m->cfg.task_json, p);
    if (s != DRIFT_OK)
        return s;
    const drift_unet_config *u = &m->cfg.unet;
    bool one_d = u->dims == 1 && u->in_channels == p->n_mels;
    bool two_d = u->dims == 2 && u->in_channels == 1;
    if (!one_d && !two_d)
        return drift_fail(DRIFT_ERR_FORMAT, "sound model's U-Net (dims %d, %d input channels) does not fit %d mel bands",
                          u->dims, u->in_channels, p->n_mels);
    int unit = 1 << (u->n_levels - 1);
    if (p->frames % unit || (two_d && p->n_mels % unit))
        return drift_fail(DRIFT_ERR_FORMAT, "sound model's window (%d mels x %d frames) is not divisible by %d",
                          p->n_mels, p->frames, unit);
    return DRIFT_OK;
}

size_t drift_sound_window_samples(const drift_sound_params *p)
{
    return (size_t)p->hop * (size_t)(p->frames - 1) + 1;
}

/* ---- prompts -------------------------------------------------------------- */

static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 1000;
    int row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void drift_sound_suggest(const drift_model *m, const char *word, int count, char *buf, size_t cap)
{
    int n = m->cfg.vocab_size, used = 0;
    char *taken = calloc((size_t)n + 1, 1);
    if (cap)
        buf[0] = '\0';
    for (int k = 0; k < count && taken && cap; k++) {
        int best = -1, best_d = 1 << 30;
        for (int i = 0; i < n; i++) {
            int d = edit_distance(word, m->cfg.vocab[i]);
            if (!taken[i] && d < best_d)
                best = i, best_d = d;
        }
        if (best < 0)
            break;
        taken[best] = 1;
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s'%s'", used++ ? ", " : "", m->cfg.vocab[best]);
    }
    free(taken);
}

/* Vocabulary index of words[i..i+k) joined by spaces, case-insensitive. */
static int lookup_words(const drift_model *m, char **words, int k)
{
    char joined[256] = "";
    for (int j = 0; j < k; j++) {
        size_t len = strlen(joined);
        if (len + strlen(words[j]) + 2 > sizeof joined)
            return -1;
        snprintf(joined + len, sizeof joined - len, "%s%s", j ? " " : "", words[j]);
    }
    for (int i = 0; i < m->cfg.vocab_size; i++)
        if (strcasecmp(m->cfg.vocab[i], joined) == 0)
            return i;
    return -1;
}

static int split_words(char *text, char **words, int max)
{
    int n = 0;
    for (char *tok = strtok(text, " \t\n,"); tok && n < max; tok = strtok(NULL, " \t\n,"))
        words[n++] = tok;
    return n;
}

static drift_status unknown_words(const drift_model *m, char **words, const bool *bad, int n)
{
    char msg[1024] = "", sug[256];
    for (int i = 0; i < n; i++) {
        if (!bad[i])
            continue;
        drift_sound_suggest(m, words[i], 3, sug, sizeof sug);
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof msg - len, "%s'%s' (closest: %s)", len ? "; " : "", words[i], sug);
    }
    return drift_fail(DRIFT_ERR_ARG, "unknown tag %s; `drift tags MODEL` lists them all", msg);
}

static drift_status add_tag(const drift_model *m, int id, int *tag_ids, int *count)
{
    for (int i = 0; i < *count; i++)
        if (tag_ids[i] == id)
            return DRIFT_OK;
    if (*count == m->cfg.unet.max_tags)
        return drift_fail(DRIFT_ERR_ARG, "the prompt has more than the %d tags this model takes",
                          m->cfg.unet.max_tags);
    tag_ids[(*count)++] = id;
    return DRIFT_OK;
}

drift_status drift_sound_prompt(const drift_model *m, const char *prompt, int *tag_ids)
{
    int max_tags = m->cfg.unet.max_tags, count = 0;
    if (max_tags > 64)
        return drift_fail(DRIFT_ERR_ARG, "models with more than 64 tags per sound are not supported (%d)", max_tags);
    for (int i = 0; i < max_tags; i++)
        tag_ids[i] = -1;
    if (!prompt || !prompt[strspn(prompt, " \t\n,")])
        return DRIFT_OK;
    if (m->cfg.vocab_size == 0 || max_tags < 1)
        return drift_fail(DRIFT_ERR_ARG, "this model takes no tags, so prompt '%s' cannot be used "
                          "(leave the prompt empty)", prompt);
    char *text = strdup(prompt);
    char *words[64];
    bool bad[64] = {false}, any_bad = false;
    if (!text)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    int n = split_words(text, words, 64);
    drift_status s = DRIFT_OK;
    for (int i = 0; i < n && s == DRIFT_OK;) {
        int k = n - i < 4 ? n - i : 4, id = -1;
        while (k >= 1 && (id = lookup_words(m, words + i, k)) < 0)
            k--; /* longest tag first */
        if (id < 0) {
            bad[i++] = any_bad = true;
            continue;
        }
        s = add_tag(m, id, tag_ids, &count);
        i += k;
    }
    if (s == DRIFT_OK && any_bad)
        s = unknown_words(m, words, bad, n);
    free(text);
    return s;
}

/* ---- the engine: representation both ways ---------------------------------- */

struct drift_sound_engine {
    drift_model *model;
    drift_sound_params p;
    drift_stft *stft;
    drift_mel *mel;
};

drift_status drift_sound_engine_create_params(const drift_sound_params *p, drift_sound_engine **out)
{
    *out = NULL;
    drift_status s = drift_sound_params_check(p);
    if (s != DRIFT_OK)
        return s;
    drift_sound_engine *e = calloc(1, sizeof *e);
    if (!e)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    e->p = *p;
    drift_stft_config sc = {.n_fft = p->n_fft, .hop = p->hop, .window = DRIFT_WINDOW_HANN, .center = true};
    drift_mel_config mc = {.sample_rate = p->sample_rate, .n_freqs = p->n_fft / 2 + 1, .n_mels = p->n_mels,
                           .f_min = p->fmin, .f_max = p->fmax, .scale = DRIFT_MEL_SLANEY,
                           .norm = DRIFT_MEL_NORM_SLANEY};
    s = drift_stft_create(&e->stft, &sc);
    if (s == DRIFT_OK)
        s = drift_mel_create(&e->mel, &mc);
    if (s != DRIFT_OK) {
        drift_sound_engine_free(e);
        return s;
    }
    *out = e;
    return DRIFT_OK;
}

drift_status drift_sound_engine_create(drift_model *m, drift_sound_engine **out)
{
    drift_sound_params p;
    *out = NULL;
    drift_status s = drift_sound_params_from_model(m, &p);
    if (s == DRIFT_OK)
        s = drift_sound_engine_create_params(&p, out);
    if (s == DRIFT_OK)
        (*out)->model = m;
    return s;
}

void drift_sound_engine_free(drift_sound_engine *e)
{
    if (!e)
        return;
    drift_stft_free(e->stft);
    drift_mel_free(e->mel);
    free(e);
}

const drift_sound_params *drift_sound_engine_params(const drift_sound_engine *e)
{
    return &e->p;
}

/* The dB mel spectrogram (n_mels, frames) of one window of x. */
static drift_status encode_db(drift_sound_engine *e, const float *x, size_t n, float *mel)
{
    size_t w = drift_sound_window_samples(&e->p);
    float *buf = calloc(w, sizeof *buf);
    if (!buf)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    memcpy(buf, x, (n < w ? n : w) * sizeof *buf);
    drift_status s = drift_mel_spectrogram(e->stft, e->mel, buf, w, 2.0f, mel);
    free(buf);
    if (s == DRIFT_OK)
        drift_amplitude_to_db(mel, (size_t)e->p.n_mels * (size_t)e->p.frames, 10.0f, 1e-10f, 1.0f, 0.0f);
    return s;
}

drift_status drift_sound_engine_encode(drift_sound_engine *e, const float *x, size_t n, float *mel)
{
    drift_status s = encode_db(e, x, n, mel);
    drift_spec_norm norm = {e->p.db_lo, e->p.db_hi};
    if (s == DRIFT_OK)
        drift_spec_normalize(&norm, mel, (size_t)e->p.n_mels * (size_t)e->p.frames);
    return s;
}

drift_status drift_sound_engine_decode(drift_sound_engine *e, const float *mel, int n_frames, uint64_t seed,
                                       float *y)
{
    if (n_frames < 2)
        return drift_fail(DRIFT_ERR_ARG, "a mel spectrogram to decode needs at least 2 frames, got %d", n_frames);
    size_t cells = (size_t)e->p.n_mels * (size_t)n_frames, bins = (size_t)(e->p.n_fft / 2 + 1);
    float *power = malloc(cells * sizeof *power);
    float *mag = malloc((size_t)n_frames * bins * sizeof *mag);
    if (!power || !mag) {
        free(power), free(mag);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for %d frames", n_frames);
    }
    memcpy(power, mel, cells * sizeof *power);
    drift_spec_norm norm = {e->p.db_lo, e->p.db_hi};
    drift_spec_denormalize(&norm, power, cells);
    drift_db_to_amplitude(power, cells, 10.0f, 1.0f);
    drift_status s = drift_mel_invert(e->mel, power, (size_t)n_frames, 50, mag);
    for (size_t i = 0; s == DRIFT_OK && i < (size_t)n_frames * bins; i++)
        mag[i] = sqrtf(mag[i]);
    drift_griffinlim_options go = drift_griffinlim_defaults();
    go.n_iter = e->p.griffin_lim_iters;
    go.random_init = true;
    go.seed = seed;
    go.length = (size_t)e->p.hop * (size_t)(n_frames - 1) + 1;
    if (s == DRIFT_OK)
        s = drift_griffinlim(e->stft, mag, (size_t)n_frames, &go, y, NULL);
    free(power), free(mag);
    return s;
}

/* ---- generation --------------------------------------------------------------- */

void drift_sound_request_defaults(drift_sound_request *rq)
{
    *rq = (drift_sound_request){.class_id = -1, .sampler = DRIFT_SAMPLER_DPMPP_2M, .guidance = 2.0f, .count = 1};
}

/* Continuation: the model's denoiser with the first `overlap` frames of
 * every sample held to known data. In those frames the prediction is
 * replaced by the one that implies x0 = known, so the sampler's state there
 * stays alpha known + sigma eps with the sampler's own noise (RePaint's
 * replacement, in every step and every sampler). */
typedef struct cont_denoiser {
    drift_denoiser inner;
    const drift_schedule *sched;
    const float *known; /* (rows_per_sample, frames), network units */
    int rows, frames, overlap;
} cont_denoiser;

static drift_status cont_fn(void *user, int n, size_t dim, const float *x, const float *t, const int *sample,
                            const unsigned char *uncond, float *pred)
{
    cont_denoiser *c = user;
    drift_status s = c->inner.fn(c->inner.user, n, dim, x, t, sample, uncond, pred);
    for (int r = 0; s == DRIFT_OK && r < n; r++) {
        double alpha, sigma;
        drift_schedule_alpha_sigma(c->sched, t[r], &alpha, &sigma);
        sigma = sigma > 1e-4 ? sigma : 1e-4;
        for (int ch = 0; ch < c->rows; ch++)
            for (int f = 0; f < c->overlap; f++) {
                size_t i = (size_t)r * dim + (size_t)ch * c->frames + f;
                float k = c->known[(size_t)ch * c->frames + f];
                if (c->inner.prediction == DRIFT_PRED_X0)
                    pred[i] = k;
                else if (c->inner.prediction == DRIFT_PRED_V)
                    pred[i] = (float)((alpha * x[i] - k) / sigma);
                else
                    pred[i] = (float)((x[i] - alpha * k) / sigma);
            }
    }
    return s;
}

typedef struct gen_progress {
    const drift_sound_request *rq;
    int done, total;
} gen_progress;

static void on_step(void *user, int step, int total)
{
    gen_progress *g = user;
    (void)total;
    g->rq->progress(g->rq->progress_user, g->done + step, g->total);
}

/* Samples one window (n_mels, frames) in network units into out; known
 * (or NULL) holds the window whose first `overlap` frames are fixed. */
static drift_status sample_window(drift_sound_engine *e, const drift_sound_request *rq, const int *tags,
                                  uint64_t seed, const float *known, int overlap, gen_progress *gp, float *out)
{
    drift_model *m = e->model;
    const drift_sound_params *p = &e->p;
    int spatial[2] = {m->cfg.unet.dims == 1 ? p->frames : p->n_mels, p->frames};
    int cls = rq->class_id;
    drift_sample_cond cond = {.class_ids = m->cfg.n_classes > 0 ? &cls : NULL,
                              .tag_ids = m->cfg.vocab_size > 0 ? tags : NULL};
    drift_sampler_options o;
    drift_sampler_defaults(&o, rq->sampler);
    if (rq->steps > 0)
        o.steps = rq->steps;
    o.seed = seed;
    o.guidance = rq->guidance;
    /* spectrograms are normalised to [-1, 1]: guided predictions stay there */
    o.x0_min = (-1.0 - m->cfg.data_mean) / m->cfg.data_std;
    o.x0_max = (1.0 - m->cfg.data_mean) / m->cfg.data_std;
    if (rq->progress) {
        o.progress = on_step;
        o.progress_user = gp;
    }
    drift_model_denoiser *md;
    drift_denoiser d;
    drift_status s = drift_model_denoiser_create(m, spatial, 1, &cond, 0, &md, &d);
    if (s != DRIFT_OK)
        return s;
    cont_denoiser c = {d, &m->sched, known, p->n_mels, p->frames, overlap};
    drift_denoiser cd = {cont_fn, &c, d.prediction, d.has_uncond};
    size_t dim = drift_model_sample_dim(m, spatial);
    s = drift_sample(&m->sched, known ? &cd : &d, &o, 1, dim, out);
    drift_model_denoiser_free(md);
    if (gp)
        gp->done += o.steps;
    return s;
}

/* Window w's frames go to [w * (F - O), w * (F - O) + F) of the long mel;
 * the overlap is cross-faded linearly (the new window takes over). */
static void place_window(const float *win, int rows, int F, int O, int w, int total, float *mel)
{
    int start = w * (F - O);
    for (int ch = 0; ch < rows; ch++)
        for (int f = 0; f < F && start + f < total; f++) {
            float v = win[(size_t)ch * F + f], *dst = &mel[(size_t)ch * total + start + f];
            if (w > 0 && f < O) {
                float a = (float)(f + 1) / (float)(O + 1);
                v = a * v + (1 - a) * *dst;
            }
            *dst = v;
        }
}

/* One clip's normalised mel (n_mels, total) from n_windows windows. */
static drift_status sample_clip(drift_sound_engine *e, const drift_sound_request *rq, const int *tags,
                                uint64_t seed, int n_windows, int O, int total, gen_progress *gp, float *mel)
{
    const drift_sound_params *p = &e->p;
    drift_model *m = e->model;
    size_t wdim = (size_t)p->n_mels * (size_t)p->frames;
    float *win = malloc(wdim * sizeof *win), *known = malloc(wdim * sizeof *known);
    drift_status s = win && known ? DRIFT_OK : drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    for (int w = 0; w < n_windows && s == DRIFT_OK; w++) {
        s = sample_window(e, rq, tags, seed + (uint64_t)w * 0x9E3779B97F4A7C15ull, w ? known : NULL, O, gp, win);
        if (s != DRIFT_OK)
            break;
        /* the next window starts with this one's last O frames */
        for (int ch = 0; ch < p->n_mels; ch++)
            for (int f = 0; f < p->frames; f++)
                known[(size_t)ch * p->frames + f] = f < O ? win[(size_t)ch * p->frames + p->frames - O + f] : 0;
        for (size_t i = 0; i < wdim; i++)
            win[i] = win[i] * m->cfg.data_std + m->cfg.data_mean;
        place_window(win, p->n_mels, p->frames, O, w, total, mel);
    }
    free(win), free(known);
    return s;
}

/* Gentle level control: only attenuate clips that would clip, and fade
 * the last 5 ms out so a cut tail does not click. */
static void finish_clip(float *y, size_t n, int rate)
{
    float peak = 0;
    for (size_t i = 0; i < n; i++)
        peak = fabsf(y[i]) > peak ? fabsf(y[i]) : peak;
    float gain = peak > 0.89f ? 0.89f / peak : 1.0f;
    size_t fade = (size_t)rate / 200;
    for (size_t i = 0; i < n; i++) {
        float g = gain;
        if (i + fade >= n)
            g *= (float)(n - i) / (float)(fade + 1);
        y[i] *= g;
    }
}

static drift_status check_request(const drift_sound_engine *e, const drift_sound_request *rq)
{
    if (!e->model)
        return drift_fail(DRIFT_ERR_ARG, "this sound engine has no model to generate with");
    if (rq->count < 1 || rq->count > 10000)
        return drift_fail(DRIFT_ERR_ARG, "count must be 1..10000, got %d", rq->count);
    if (!(rq->seconds >= 0) || rq->seconds > 3600)
        return drift_fail(DRIFT_ERR_ARG, "seconds must be 0..3600, got %g", rq->seconds);
    if (rq->steps < 0 || rq->steps > 10000)
        return drift_fail(DRIFT_ERR_ARG, "steps must be 0..10000, got %d", rq->steps);
    if (!(rq->guidance >= 0) || rq->guidance > 100)
        return drift_fail(DRIFT_ERR_ARG, "guidance must be 0..100, got %g", rq->guidance);
    if (rq->overlap < 0 || rq->overlap >= e->p.frames)
        return drift_fail(DRIFT_ERR_ARG, "overlap must be 0..%d frames, got %d", e->p.frames - 1, rq->overlap);
    const drift_model *m = e->model;
    if (rq->class_id >= m->cfg.n_classes || rq->class_id < -1)
        return drift_fail(DRIFT_ERR_ARG, "class %d is not one of this model's %d classes", rq->class_id,
                          m->cfg.n_classes);
    return DRIFT_OK;
}

/* Frames of the long mel, and windows to cover them. */
static void clip_layout(const drift_sound_params *p, double seconds, int O, int *total, int *n_windows,
                        size_t *samples)
{
    *samples = drift_sound_window_samples(p);
    *total = p->frames;
    *n_windows = 1;
    if (seconds > 0) {
        *samples = (size_t)llround(seconds * p->sample_rate);
        *samples = *samples < 2 ? 2 : *samples;
        *total = (int)((*samples - 1) / (size_t)p->hop) + 2;
        if (*total > p->frames)
            *n_windows = 1 + (*total - p->frames + (p->frames - O) - 1) / (p->frames - O);
    }
}

drift_status drift_sound_engine_generate(drift_sound_engine *e, const drift_sound_request *rq0, float **audio,
                                         size_t *frames)
{
    *audio = NULL;
    *frames = 0;
    drift_status s = check_request(e, rq0);
    if (s != DRIFT_OK)
        return s;
    drift_sound_request rq = *rq0;
    int tags[64];
    s = drift_sound_prompt(e->model, rq.prompt, tags);
    if (s != DRIFT_OK)
        return s;
    bool conditioned = tags[0] >= 0 || rq.class_id >= 0;
    if (!conditioned || !(e->model->cfg.vocab_size > 0 || e->model->cfg.n_classes > 0))
        rq.guidance = 1.0f; /* nothing to guide towards */
    const drift_sound_params *p = &e->p;
    int O = rq.overlap ? rq.overlap : p->frames / 4, total, n_windows;
    size_t n;
    clip_layout(p, rq.seconds, O, &total, &n_windows, &n);
    int steps = rq.steps > 0 ? rq.steps : drift_sampler_default_steps(rq.sampler);
    gen_progress gp = {&rq, 0, rq.count * n_windows * steps};
    size_t cells = (size_t)p->n_mels * (size_t)total;
    float *mel = malloc(cells * sizeof *mel), *out = malloc((size_t)rq.count * n * sizeof *out);
    float *y = malloc(((size_t)p->hop * (size_t)(total - 1) + 1) * sizeof *y);
    if (!mel || !out || !y)
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory for %d clips of %zu samples", rq.count, n);
    for (int i = 0; i < rq.count && s == DRIFT_OK; i++) {
        s = sample_clip(e, &rq, tags, rq.seed + (uint64_t)i, n_windows, O, total, rq.progress ? &gp : NULL, mel);
        if (s == DRIFT_OK)
            s = drift_sound_engine_decode(e, mel, total, rq.seed + (uint64_t)i, y);
        if (s == DRIFT_OK) {
            memcpy(out + (size_t)i * n, y, n * sizeof *y);
            finish_clip(out + (size_t)i * n, n, p->sample_rate);
        }
    }
    free(mel), free(y);
    if (s != DRIFT_OK) {
        free(out);
        return s;
    }
    *audio = out;
    *frames = n;
    return DRIFT_OK;
}

drift_status drift_sound_generate(drift_model *m, const drift_sound_request *rq, float **audio, size_t *frames)
{
    drift_sound_engine *e;
    *audio = NULL;
    *frames = 0;
    drift_status s = drift_sound_engine_create(m, &e);
    if (s != DRIFT_OK)
        return s;
    s = drift_sound_engine_generate(e, rq, audio, frames);
    drift_sound_engine_free(e);
    return s;
}
