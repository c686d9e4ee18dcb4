/* denoise.c: the audio denoising task of denoise.h: windows with
 * cross-fades, the diffusion and spectral methods, and chunked file
 * processing (the representation is denoise_features.c). */
#include "denoise.h"
#include "phase.h"
#include "resample.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SECONDS 8.0
#define CHUNK_OVERLAP_SECONDS 0.5

drift_status drift_denoise_method_parse(const char *name, drift_denoise_method *out)
{
    if (name && strcmp(name, "diffusion") == 0)
        *out = DRIFT_DENOISE_DIFFUSION;
    else if (name && strcmp(name, "spectral") == 0)
        *out = DRIFT_DENOISE_SPECTRAL;
    else
        return drift_fail(DRIFT_ERR_ARG, "unknown method '%s' (known: diffusion, spectral)", name ? name : "");
    return DRIFT_OK;
}

/* Scales the magnitudes of spec: (frames, nb, 2) by gain: (bins, frames)
 * in [0, 1], keeping the phases; bins above `bins` take the gain of the
 * top one. mag: (frames, nb) receives the new magnitudes. */
static void apply_magnitudes(const drift_denoise_params *p, const float *gain, float *spec, float *mag)
{
    int nb = p->n_fft / 2 + 1, F = p->frames;
    for (int f = 0; f < F; f++) {
        float g = 1;
        for (int k = 0; k < nb; k++) {
            float *z = spec + ((size_t)f * nb + k) * 2;
            if (k < p->bins)
                g = fminf(fmaxf(gain[(size_t)k * F + f], 0.0f), 1.0f);
            z[0] *= g;
            z[1] *= g;
            mag[(size_t)f * nb + k] = sqrtf(z[0] * z[0] + z[1] * z[1]);
        }
    }
}

/* ---- windows and cross-fades --------------------------------------------- */

/* The weight of sample i of a segment of len samples that fades in over
 * its first fade_in and out over its last fade_out samples (raised cosine;
 * a fade out is the complement of a fade in of the same length). */
static double fade_weight(size_t i, size_t len, size_t fade_in, size_t fade_out)
{
    double w = 1;
    if (i < fade_in)
        w = 0.5 - 0.5 * cos(M_PI * ((double)i + 0.5) / (double)fade_in);
    if (fade_out > 0 && i + fade_out >= len)
        w *= 0.5 + 0.5 * cos(M_PI * ((double)(i - (len - fade_out)) + 0.5) / (double)fade_out);
    return w;
}

/* Segments of `len` covering [0, n), neighbours overlapping by at least
 * `overlap`: starts k * step, the last one aligned to the end. */
typedef struct segment_plan {
    size_t n, len, step, overlap, count;
} segment_plan;

static segment_plan plan_segments(size_t n, size_t len, size_t overlap)
{
    segment_plan sp = {n, len, len - overlap, overlap, 1};
    if (n > len)
        sp.count = 1 + (n - len + sp.step - 1) / sp.step;
    return sp;
}

static size_t segment_start(const segment_plan *sp, size_t k)
{
    if (sp->n <= sp->len)
        return 0;
    return k + 1 == sp->count ? sp->n - sp->len : k * sp->step;
}

/* Adds segment k's output seg: (min(len, n)) into y: (n) with fades over
 * `overlap` samples where it meets a neighbour, and its weights into wsum:
 * (n); y / wsum is the cross-faded result, whatever the overlaps. */
static void segment_add(const segment_plan *sp, size_t k, const float *seg, float *y, float *wsum)
{
    size_t start = segment_start(sp, k), len = sp->n < sp->len ? sp->n : sp->len;
    size_t fin = k > 0 ? sp->overlap : 0, fout = k + 1 < sp->count ? sp->overlap : 0;
    for (size_t i = 0; i < len; i++) {
        double w = fade_weight(i, len, fin, fout) + 1e-6;
        y[start + i] += (float)(w * seg[i]);
        wsum[start + i] += (float)w;
    }
}

typedef struct window_work {
    float *cond, *mask, *spec, *mag, *seg; /* per batch / per window buffers */
    float *noise;                          /* (n_fft/2+1) noise power estimate */
    float *pad;                            /* (W) a zero-padded input shorter than a window */
    float *wsum;                           /* (n) cross-fade weights */
    int batch;
} window_work;

static void window_work_free(window_work *w)
{
    free(w->cond);
    free(w->mask);
    free(w->spec);
    free(w->mag);
    free(w->seg);
    free(w->noise);
    free(w->pad);
    free(w->wsum);
}

static drift_status window_work_alloc(window_work *w, const drift_denoise_params *p, int batch, size_t n)
{
    size_t fdim = (size_t)p->bins * p->frames, sdim = (size_t)p->frames * (p->n_fft / 2 + 1);
    size_t W = drift_denoise_window_samples(p);
    w->batch = batch;
    w->cond = malloc(batch * 2 * fdim * sizeof(float));
    w->mask = malloc(batch * fdim * sizeof(float));
    w->spec = malloc(batch * sdim * 2 * sizeof(float));
    w->mag = malloc(sdim * sizeof(float));
    w->seg = calloc(W, sizeof(float));
    w->noise = malloc((size_t)(p->n_fft / 2 + 1) * sizeof(float));
    w->pad = calloc(W, sizeof(float));
    w->wsum = calloc(n, sizeof(float));
    if (!w->cond || !w->mask || !w->spec || !w->mag || !w->seg || !w->noise || !w->pad || !w->wsum) {
        window_work_free(w);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for %d denoising windows", batch);
    }
    return DRIFT_OK;
}

/* Rebuilds window b of the batch into w->seg. */
static drift_status rebuild_window(const drift_denoise_params *p, const drift_stft *stft, window_work *w, int b,
                                   int gl_iters)
{
    size_t fdim = (size_t)p->bins * p->frames, sdim = (size_t)p->frames * (p->n_fft / 2 + 1) * 2;
    float *spec = w->spec + b * sdim;
    apply_magnitudes(p, w->mask + b * fdim, spec, w->mag);
    size_t W = drift_denoise_window_samples(p);
    if (gl_iters <= 0)
        return drift_stft_inverse(stft, spec, (size_t)p->frames, w->seg, W);
    drift_griffinlim_options go = drift_griffinlim_defaults();
    go.n_iter = gl_iters;
    go.init_spec = spec;
    go.length = W;
    return drift_griffinlim(stft, w->mag, (size_t)p->frames, &go, w->seg, NULL);
}

/* Window k of the plan: x itself or, when x is shorter than a window, x
 * zero-padded in w->pad. */
static const float *window_input(const segment_plan *sp, size_t k, const float *x, window_work *w)
{
    if (sp->n >= sp->len)
        return x + segment_start(sp, k);
    memcpy(w->pad, x, sp->n * sizeof(float));
    return w->pad;
}

/* Windows [k0, k0 + count) of the plan: features, masks from fn, audio
 * added into y with its cross-fade weights. */
static drift_status denoise_windows(const drift_denoise_params *p, const drift_stft *stft, drift_denoise_window_fn fn,
                                    void *user, int gl_iters, int64_t first, const segment_plan *sp, size_t k0,
                                    int count, const float *x, window_work *w, float *y)
{
    size_t fdim = (size_t)p->bins * p->frames, sdim = (size_t)p->frames * (p->n_fft / 2 + 1) * 2;
    drift_status s = DRIFT_OK;
    for (int b = 0; s == DRIFT_OK && b < count; b++)
        s = drift_denoise_features(p, stft, window_input(sp, k0 + b, x, w), w->noise, w->cond + b * 2 * fdim,
                                   w->spec + b * sdim);
    if (s == DRIFT_OK)
        s = fn(user, count, first, w->cond, w->mask);
    for (int b = 0; s == DRIFT_OK && b < count; b++) {
        s = rebuild_window(p, stft, w, b, gl_iters);
        if (s == DRIFT_OK)
            segment_add(sp, k0 + b, w->seg, y, w->wsum);
    }
    return s;
}

drift_status drift_denoise_mono(const drift_denoise_params *p, const drift_stft *stft, drift_denoise_window_fn fn,
                                void *user, int gl_iters, int64_t window_base, const float *x, size_t n, float *y)
{
    memset(y, 0, n * sizeof(float));
    if (n == 0)
        return DRIFT_OK;
    size_t W = drift_denoise_window_samples(p);
    segment_plan sp = plan_segments(n, W, W / 4);
    window_work w;
    int batch = sp.count < 8 ? (int)sp.count : 8;
    drift_status s = window_work_alloc(&w, p, batch, n);
    if (s != DRIFT_OK)
        return s;
    s = drift_denoise_noise_estimate(p, stft, n < W ? window_input(&sp, 0, x, &w) : x, n < W ? W : n, w.noise);
    for (size_t k0 = 0; s == DRIFT_OK && k0 < sp.count; k0 += (size_t)batch) {
        int count = sp.count - k0 < (size_t)batch ? (int)(sp.count - k0) : batch;
        s = denoise_windows(p, stft, fn, user, gl_iters, window_base + (int64_t)k0, &sp, k0, count, x, &w, y);
    }
    for (size_t i = 0; s == DRIFT_OK && i < n; i++)
        y[i] /= w.wsum[i];
    window_work_free(&w);
    return s;
}

/* ---- the denoiser ------------------------------------------------------------ */

void drift_denoise_options_default(drift_denoise_options *o)
{
    memset(o, 0, sizeof *o);
    o->method = DRIFT_DENOISE_DIFFUSION;
    o->steps = 1; /* measured best on the held-out set (docs/DENOISE.md) */
    o->draws = 4; /* chosen on the calibration set within the real-time target (docs/DENOISE.md) */
    o->strength = 1;
    o->batch = 8;
    o->mask_gain_db = NAN;
}

struct drift_audio_denoiser {
    drift_model *model;
    drift_denoise_options o;
    drift_denoise_params p;
    drift_stft *stft;
    int64_t windows; /* windows done so far (seeds) */
    float *a, *b, *c; /* per-channel work buffers */
    size_t cap;
};

drift_status drift_audio_denoiser_create(drift_model *model, const drift_denoise_options *o,
                                         drift_audio_denoiser **out)
{
    *out = NULL;
    if (o->method == DRIFT_DENOISE_DIFFUSION) {
        if (!model)
            return drift_fail(DRIFT_ERR_ARG, "the diffusion method needs a model");
        if (o->steps < 1 || o->steps > 1000 || !(o->strength > 0 && o->strength <= 1))
            return drift_fail(DRIFT_ERR_ARG, "steps %d must be in 1..1000 and strength %g in (0, 1]", o->steps,
                              o->strength);
        if (o->draws < 1 || o->draws > DRIFT_SAMPLER_MAX_DRAWS)
            return drift_fail(DRIFT_ERR_ARG, "draws %d must be in 1..%d", o->draws, DRIFT_SAMPLER_MAX_DRAWS);
    }
    drift_audio_denoiser *d = calloc(1, sizeof *d);
    if (!d)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    d->model = model;
    d->o = *o;
    drift_status s = DRIFT_OK;
    if (o->method == DRIFT_DENOISE_DIFFUSION) {
        s = drift_denoise_params_from_model(model, &d->p);
        if (s == DRIFT_OK && !isnan(o->mask_gain_db)) {
            d->p.mask_gain_db = (float)o->mask_gain_db;
            s = drift_denoise_params_check(&d->p);
        }
        const drift_unet_config *u = &model->cfg.unet;
        bool fits = u->dims == 1 ? u->in_channels == d->p.bins && u->cond_channels == 2 * d->p.bins
                                 : u->in_channels == 1 && u->cond_channels == 2;
        if (s == DRIFT_OK && !fits)
            s = drift_fail(DRIFT_ERR_FORMAT, "the model's network (%d-D, %d channels, %d conditioning) does not "
                           "fit its denoise task (%d bins: 1-D with %d channels and %d conditioning, or 2-D with "
                           "1 and 2)", u->dims, u->in_channels, u->cond_channels, d->p.bins, d->p.bins,
                           2 * d->p.bins);
        if (s == DRIFT_OK)
            s = drift_denoise_stft(&d->p, &d->stft);
    }
    if (s != DRIFT_OK) {
        drift_audio_denoiser_free(d);
        return s;
    }
    *out = d;
    return DRIFT_OK;
}

void drift_audio_denoiser_free(drift_audio_denoiser *d)
{
    if (!d)
        return;
    drift_stft_free(d->stft);
    free(d->a);
    free(d->b);
    free(d->c);
    free(d);
}

/* The model as a window function: DDIM conditioned on the windows'
 * features (noisy and noise estimate), its output turned into masks. */
static drift_status model_windows(void *user, int count, int64_t first_window, const float *cond_feat, float *mask)
{
    drift_audio_denoiser *d = user;
    drift_sampler_options so;
    drift_sampler_defaults(&so, DRIFT_SAMPLER_DDIM);
    so.steps = d->o.steps;
    so.draws = d->o.draws; /* averaged log-residuals: a geometric mean of masks */
    so.strength = d->o.strength;
    so.x_init = d->o.strength < 1 ? cond_feat : NULL; /* replaced below; non-NULL selects SDEdit */
    so.seed = d->o.seed * 0x9E3779B97F4A7C15ull + (uint64_t)first_window;
    bool planes = d->model->cfg.unet.dims == 2; /* (bins, frames) planes, else bins as channels */
    int spatial[2] = {planes ? d->p.bins : d->p.frames, planes ? d->p.frames : 1};
    drift_sample_cond cond = {NULL, NULL, cond_feat};
    size_t n = (size_t)count * d->p.bins * d->p.frames;
    float *keep = NULL;
    if (so.x_init) { /* SDEdit starts from the Wiener gain itself (residual 0) */
        if (!(keep = calloc(n, sizeof(float))))
            return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
        so.x_init = keep;
    }
    drift_status s = drift_model_sample(d->model, &so, count, spatial, &cond, 0, mask);
    free(keep);
    if (s == DRIFT_OK)
        drift_denoise_mask_from_output(&d->p, count, cond_feat, mask);
    return s;
}

static drift_status grow(drift_audio_denoiser *d, size_t n)
{
    if (n <= d->cap)
        return DRIFT_OK;
    float *bufs[3];
    for (int i = 0; i < 3; i++)
        bufs[i] = malloc(n * sizeof(float));
    if (!bufs[0] || !bufs[1] || !bufs[2]) {
        for (int i = 0; i < 3; i++)
            free(bufs[i]);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for %zu samples", n);
    }
    free(d->a), free(d->b), free(d->c);
    d->a = bufs[0], d->b = bufs[1], d->c = bufs[2];
    d->cap = n;
    return DRIFT_OK;
}

/* One channel: x: (n) at rate -> y: (n), through the model's rate. */
static drift_status denoise_channel(drift_audio_denoiser *d, const float *x, size_t n, int rate, float *y)
{
    if (d->o.method == DRIFT_DENOISE_SPECTRAL)
        return drift_denoise_spectral(x, n, rate, y);
    int mr = d->p.sample_rate;
    size_t m = drift_resample_length(n, rate, mr);
    drift_status s = grow(d, (m > n ? m : n) + 1);
    const float *in = x;
    if (s == DRIFT_OK && rate != mr) {
        s = drift_resample(x, n, 1, rate, mr, d->a);
        in = d->a;
    }
    if (s == DRIFT_OK)
        s = drift_denoise_mono(&d->p, d->stft, model_windows, d, d->o.gl_iters, d->windows, in, m, d->b);
    d->windows += (int64_t)(m / drift_denoise_window_samples(&d->p) * 2 + 2);
    if (s != DRIFT_OK || rate == mr) {
        if (s == DRIFT_OK)
            memcpy(y, d->b, n * sizeof(float));
        return s;
    }
    size_t back = drift_resample_length(m, mr, rate);
    s = grow(d, back + 1);
    if (s == DRIFT_OK)
        s = drift_resample(d->b, m, 1, mr, rate, d->c);
    for (size_t i = 0; s == DRIFT_OK && i < n; i++)
        y[i] = i < back ? d->c[i] : 0;
    return s;
}

drift_status drift_audio_denoise_buffer(drift_audio_denoiser *d, const float *x, size_t frames, int channels,
                                        int rate, float *y)
{
    if (channels < 1 || rate < 1)
        return drift_fail(DRIFT_ERR_ARG, "cannot denoise %d channels at %d Hz", channels, rate);
    float *in = malloc((frames + 1) * sizeof(float)), *out = malloc((frames + 1) * sizeof(float));
    drift_status s = in && out ? DRIFT_OK : drift_fail(DRIFT_ERR_NOMEM, "out of memory for %zu frames", frames);
    for (int c = 0; s == DRIFT_OK && c < channels; c++) {
        for (size_t i = 0; i < frames; i++)
            in[i] = x[i * channels + c];
        s = denoise_channel(d, in, frames, rate, out);
        for (size_t i = 0; s == DRIFT_OK && i < frames; i++)
            y[i * channels + c] = out[i];
    }
    free(in);
    free(out);
    return s;
}

/* ---- files in chunks ------------------------------------------------------------ */

typedef struct chunk_io {
    SNDFILE *in, *out;
    SF_INFO info;
    drift_atomic_file af;
    float *x, *y, *acc; /* (chunk_len, channels) each */
} chunk_io;

static int sf_format_for(const char *path)
{
    switch (drift_audio_format_for_path(path)) {
    case DRIFT_AUDIO_FLAC16: return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    case DRIFT_AUDIO_FLAC24: return SF_FORMAT_FLAC | SF_FORMAT_PCM_24;
    case DRIFT_AUDIO_WAV24: return SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    case DRIFT_AUDIO_WAV_FLOAT: return SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    default: return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    }
}

/* Whether libsndfile's log says the data chunk claims more than the file
 * holds (it then quietly shortens the file); 0xFFFFFFFF means streamed. */
static bool claims_more_than_present(SNDFILE *f)
{
    char log[8192];
    sf_command(f, SFC_GET_LOG_INFO, log, sizeof log);
    if (strstr(log, "seems to be truncated"))
        return true;
    for (const char *line = log; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        unsigned long long claimed, present;
        const char *tag = strstr(line, "data :") ? strstr(line, "data :") : strstr(line, "SSND :");
        const char *eol = strchr(line, '\n');
        if (tag && (!eol || tag < eol) && sscanf(tag + 6, "%llu (should be %llu)", &claimed, &present) == 2 &&
            claimed > present && claimed != 0xFFFFFFFFull)
            return true;
    }
    return false;
}

static drift_status open_input(const char *path, chunk_io *io)
{
    io->in = sf_open(path, SFM_READ, &io->info);
    if (!io->in)
        return drift_fail(DRIFT_ERR_FORMAT, "cannot read audio file '%s': %s", path, sf_strerror(NULL));
    SF_INFO *i = &io->info;
    if (i->channels < 1 || i->channels > DRIFT_AUDIO_MAX_CHANNELS || i->samplerate < 1 ||
        i->samplerate > DRIFT_AUDIO_MAX_RATE || i->frames <= 0 || i->frames >= (sf_count_t)DRIFT_AUDIO_MAX_SAMPLES)
        return drift_fail(DRIFT_ERR_FORMAT, "'%s' declares %d channels at %d Hz and %lld frames: not usable audio",
                          path, i->channels, i->samplerate, (long long)i->frames);
    if (claims_more_than_present(io->in))
        return drift_fail(DRIFT_ERR_FORMAT, "'%s' is truncated: its header announces more audio than it holds", path);
    return DRIFT_OK;
}

static drift_status open_output(const char *path, chunk_io *io)
{
    drift_status s = drift_atomic_reserve(&io->af, path);
    if (s != DRIFT_OK)
        return s;
    SF_INFO oi = {0};
    oi.samplerate = io->info.samplerate;
    oi.channels = io->info.channels;
    oi.format = sf_format_for(path);
    io->out = sf_open(io->af.tmp_path, SFM_WRITE, &oi);
    if (!io->out) {
        s = drift_fail(DRIFT_ERR_IO, "cannot write '%s': %s", path, sf_strerror(NULL));
        drift_atomic_abort(&io->af);
        return s;
    }
    sf_command(io->out, SFC_SET_CLIPPING, NULL, SF_TRUE);
    return DRIFT_OK;
}

/* Reads frames [have, want) of the chunk into io->x (after `have` frames
 * already there); a short read means the file lies about its length. */
static drift_status read_more(const char *path, chunk_io *io, size_t have, size_t want)
{
    int ch = io->info.channels;
    sf_count_t got = sf_readf_float(io->in, io->x + have * ch, (sf_count_t)(want - have));
    if (got != (sf_count_t)(want - have))
        return drift_fail(DRIFT_ERR_FORMAT, "'%s' is truncated or corrupt: it ends before the %lld frames its "
                          "header announces", path, (long long)io->info.frames);
    return DRIFT_OK;
}

static drift_status write_frames(chunk_io *io, const float *data, size_t frames, const char *path)
{
    if (frames && sf_writef_float(io->out, data, (sf_count_t)frames) != (sf_count_t)frames)
        return drift_fail(DRIFT_ERR_IO, "cannot write '%s': %s", path, sf_strerror(io->out));
    return DRIFT_OK;
}

/* The chunk loop: chunk k covers [k step, k step + len) of the input, is
 * denoised whole, and is cross-faded with its neighbours; io->acc holds
 * the faded tail of the previous chunk. */
static drift_status run_chunks(drift_audio_denoiser *d, const char *in, const char *out, chunk_io *io)
{
    int ch = io->info.channels, rate = io->info.samplerate;
    size_t n = (size_t)io->info.frames, ov = (size_t)(CHUNK_OVERLAP_SECONDS * rate) + 1;
    size_t len = (size_t)(CHUNK_SECONDS * rate) + ov;
    segment_plan sp = plan_segments(n, len, ov); /* its step; the last chunk is shortened, not moved back */
    drift_status s = DRIFT_OK;
    size_t have = 0, tail = 0;
    for (size_t k = 0; s == DRIFT_OK && (k == 0 || k * sp.step + ov < n); k++) {
        size_t start = k * sp.step, clen = n - start < len ? n - start : len;
        bool last = start + len >= n;
        s = read_more(in, io, have, clen);
        if (s == DRIFT_OK)
            s = drift_audio_denoise_buffer(d, io->x, clen, ch, rate, io->y);
        if (s != DRIFT_OK)
            break;
        memset(io->acc + tail * ch, 0, (clen - tail) * ch * sizeof(float));
        for (int c = 0; c < ch; c++) /* fades per channel on a strided view */
            for (size_t i = 0; i < clen; i++)
                io->acc[i * ch + c] += (float)(fade_weight(i, clen, k > 0 ? ov : 0, last ? 0 : ov) * io->y[i * ch + c]);
        size_t emit = last ? clen : clen - ov;
        s = write_frames(io, io->acc, emit, out);
        tail = last ? 0 : ov;
        memmove(io->acc, io->acc + emit * ch, tail * ch * sizeof(float));
        memmove(io->x, io->x + emit * ch, tail * ch * sizeof(float));
        have = tail;
        if (d->o.progress)
            d->o.progress(d->o.progress_user, start + emit, n);
    }
    return s;
}

drift_status drift_audio_denoise_file(drift_audio_denoiser *d, const char *in, const char *out)
{
    chunk_io io;
    memset(&io, 0, sizeof io);
    drift_status s = open_input(in, &io);
    size_t len = 0;
    if (s == DRIFT_OK) {
        len = (size_t)((CHUNK_SECONDS + CHUNK_OVERLAP_SECONDS) * io.info.samplerate) + 2;
        size_t total = len * (size_t)io.info.channels;
        io.x = malloc(total * sizeof(float));
        io.y = malloc(total * sizeof(float));
        io.acc = calloc(total, sizeof(float));
        if (!io.x || !io.y || !io.acc)
            s = drift_fail(DRIFT_ERR_NOMEM, "out of memory for %zu-frame chunks", len);
    }
    if (s == DRIFT_OK)
        s = open_output(out, &io);
    if (s == DRIFT_OK) {
        s = run_chunks(d, in, out, &io);
        if (sf_close(io.out) != 0 && s == DRIFT_OK)
            s = drift_fail(DRIFT_ERR_IO, "cannot finish writing '%s'", out);
        if (s == DRIFT_OK)
            s = drift_atomic_commit(&io.af);
        else
            drift_atomic_abort(&io.af);
    }
    if (io.in)
        sf_close(io.in);
    free(io.x);
    free(io.y);
    free(io.acc);
    return s;
}
