/* pairs.c: clip sets, mixing, scores and the pair data source (pairs.h). */
#include "pairs.h"
#include "resample.h"
#include "sndio.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- listing ------------------------------------------------------------ */

static bool is_audio_name(const char *name)
{
    static const char *const ext[] = {".wav", ".flac", ".ogg", ".aiff", ".aif", ".mp3", ".opus"};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof ext / sizeof ext[0]; i++)
        if (strcasecmp(dot, ext[i]) == 0)
            return true;
    return false;
}

typedef struct path_list {
    char **v;
    size_t n, cap;
} path_list;

static drift_status push_path(path_list *l, const char *path)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **v = realloc(l->v, cap * sizeof(char *));
        if (!v)
            return drift_fail(DRIFT_ERR_NOMEM, "out of memory listing files");
        l->v = v, l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(path)))
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory listing files");
    l->n++;
    return DRIFT_OK;
}

static drift_status walk(const char *dir, path_list *l, int depth)
{
    if (depth > 32)
        return drift_fail(DRIFT_ERR_ARG, "folders nested too deeply at '%s'", dir);
    DIR *d = opendir(dir);
    if (!d)
        return drift_fail(DRIFT_ERR_IO, "cannot read folder '%s'", dir);
    drift_status s = DRIFT_OK;
    struct dirent *e;
    while (s == DRIFT_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path) {
            s = drift_fail(DRIFT_ERR_NOMEM, "out of memory listing files");
            break;
        }
        snprintf(path, len, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            s = walk(path, l, depth + 1);
        else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && is_audio_name(e->d_name))
            s = push_path(l, path);
        free(path);
    }
    closedir(d);
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

drift_status drift_audio_list(const char *dir, char ***paths, size_t *n)
{
    path_list l = {0};
    drift_status s = walk(dir, &l, 0);
    if (s != DRIFT_OK) {
        drift_audio_list_free(l.v, l.n);
        return s;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof(char *), cmp_str);
    *paths = l.v;
    *n = l.n;
    return DRIFT_OK;
}

void drift_audio_list_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

/* ---- clip sets ------------------------------------------------------------ */

void drift_clip_set_free(drift_clip_set *s)
{
    for (int i = 0; s->clips && i < s->count; i++)
        free(s->clips[i]);
    free(s->clips);
    free(s->lengths);
    free(s->is_speech);
    memset(s, 0, sizeof *s);
}

/* One file as a mono clip at rate, at most max_frames long (0 = all). */
static drift_status load_clip(const char *path, int rate, size_t max_frames, float **clip, size_t *len)
{
    drift_audio a;
    drift_status s = drift_audio_read(path, &a);
    if (s != DRIFT_OK)
        return s;
    float *mono = malloc(a.frames * sizeof(float));
    if (!mono) {
        drift_audio_free(&a);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for '%s'", path);
    }
    drift_audio_mix_mono(&a, mono);
    size_t n = drift_resample_length(a.frames, a.rate, rate);
    float *out = malloc((n + 1) * sizeof(float));
    s = out ? drift_resample(mono, a.frames, 1, a.rate, rate, out) : drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    free(mono);
    drift_audio_free(&a);
    if (s != DRIFT_OK) {
        free(out);
        return s;
    }
    *clip = out;
    *len = max_frames && n > max_frames ? max_frames : n;
    return DRIFT_OK;
}

drift_status drift_clip_set_load(const char *dir, int rate, double max_seconds, drift_clip_set *out)
{
    memset(out, 0, sizeof *out);
    char **paths;
    size_t n;
    drift_status s = drift_audio_list(dir, &paths, &n);
    if (s != DRIFT_OK)
        return s;
    if (n == 0 || n > 1000000) {
        drift_audio_list_free(paths, n);
        return drift_fail(DRIFT_ERR_ARG, "no audio files (.wav, .flac, ...) under '%s'", dir);
    }
    out->rate = rate;
    out->clips = calloc(n, sizeof(float *));
    out->lengths = calloc(n, sizeof(size_t));
    out->is_speech = calloc(n, sizeof(bool));
    if (!out->clips || !out->lengths || !out->is_speech)
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory for %zu clips", n);
    size_t max_frames = max_seconds > 0 ? (size_t)(max_seconds * rate) : 0;
    for (size_t i = 0; s == DRIFT_OK && i < n; i++) {
        s = load_clip(paths[i], rate, max_frames, &out->clips[i], &out->lengths[i]);
        out->is_speech[i] = strstr(paths[i] + strlen(dir), "/speech/") != NULL;
        out->count = (int)i + 1;
    }
    drift_audio_list_free(paths, n);
    if (s != DRIFT_OK)
        drift_clip_set_free(out);
    return s;
}

/* ---- mixing and scores ------------------------------------------------------ */

static double energy(const float *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    return e;
}

void drift_mix_at_snr(const float *clean, const float *noise, size_t n, double snr_db, float *noisy)
{
    double ec = energy(clean, n), en = energy(noise, n);
    double g = en > 0 ? sqrt(ec / (en * pow(10, snr_db / 10))) : 0;
    for (size_t i = 0; i < n; i++)
        noisy[i] = clean[i] + (float)(g * noise[i]);
}

double drift_si_sdr(const float *ref, const float *est, size_t n)
{
    double mr = 0, me = 0;
    for (size_t i = 0; i < n; i++)
        mr += ref[i], me += est[i];
    mr /= (double)(n ? n : 1), me /= (double)(n ? n : 1);
    double dot = 0, rr = 0;
    for (size_t i = 0; i < n; i++) {
        dot += (est[i] - me) * (ref[i] - mr);
        rr += (ref[i] - mr) * (ref[i] - mr);
    }
    double a = rr > 0 ? dot / rr : 0, num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double t = a * (ref[i] - mr), e = t - (est[i] - me);
        num += t * t;
        den += e * e;
    }
    return 10 * log10((num + 1e-20) / (den + 1e-20));
}

drift_status drift_log_spectral_distance(const float *ref, const float *est, size_t n, int rate, double *out)
{
    int n_fft = 256;
    while (n_fft < 0.032 * rate)
        n_fft *= 2;
    drift_stft_config c = {n_fft, n_fft / 4, 0, DRIFT_WINDOW_HANN, true};
    drift_stft *st;
    drift_status s = drift_stft_create(&st, &c);
    if (s != DRIFT_OK)
        return s;
    size_t frames = drift_stft_frames(st, n), nb = (size_t)n_fft / 2 + 1;
    if (frames == 0) {
        drift_stft_free(st);
        return drift_fail(DRIFT_ERR_ARG, "%zu samples are too short for a log-spectral distance", n);
    }
    float *a = malloc(frames * nb * sizeof(float)), *b = malloc(frames * nb * sizeof(float));
    s = a && b ? drift_stft_magnitude(st, ref, n, 2, a) : drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    if (s == DRIFT_OK)
        s = drift_stft_magnitude(st, est, n, 2, b);
    double total = 0;
    for (size_t f = 0; s == DRIFT_OK && f < frames; f++) {
        double sum = 0;
        for (size_t k = 0; k < nb; k++) {
            double d = 10 * log10(a[f * nb + k] + 1e-10) - 10 * log10(b[f * nb + k] + 1e-10);
            sum += d * d;
        }
        total += sqrt(sum / (double)nb);
    }
    *out = total / (double)frames;
    free(a);
    free(b);
    drift_stft_free(st);
    return s;
}

/* ---- the pair data source ----------------------------------------------------- */

struct drift_pair_source {
    const drift_clip_set *clips;
    drift_denoise_params p;
    drift_pair_options o;
    drift_stft *stft;
    drift_noise_clips speech;
    const float **speech_clips;
    size_t *speech_lengths;
    int kinds[DRIFT_NOISE_COUNT], n_kinds;
    size_t context;               /* samples of each pair; >= one window */
    float *clean, *noisy, *noise; /* (context) */
    float *spec;                  /* (2, frames, n_fft/2+1, 2) */
    float *noise_pw;              /* (n_fft/2+1) */
};

void drift_pair_source_free(drift_pair_source *ps)
{
    if (!ps)
        return;
    drift_stft_free(ps->stft);
    free(ps->speech_clips);
    free(ps->speech_lengths);
    free(ps->clean);
    free(ps->noisy);
    free(ps->noise);
    free(ps->spec);
    free(ps->noise_pw);
    free(ps);
}

static drift_status collect_speech(drift_pair_source *ps)
{
    const drift_clip_set *c = ps->clips;
    ps->speech_clips = calloc((size_t)c->count + 1, sizeof(float *));
    ps->speech_lengths = calloc((size_t)c->count + 1, sizeof(size_t));
    if (!ps->speech_clips || !ps->speech_lengths)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    int n = 0;
    for (int i = 0; i < c->count; i++)
        if (c->is_speech[i] && c->lengths[i] > 0) {
            ps->speech_clips[n] = c->clips[i];
            ps->speech_lengths[n++] = c->lengths[i];
        }
    ps->speech = (drift_noise_clips){ps->speech_clips, ps->speech_lengths, n};
    return DRIFT_OK;
}

drift_status drift_pair_source_create(const drift_clip_set *clips, const drift_denoise_params *p,
                                      const drift_pair_options *o, drift_pair_source **out)
{
    *out = NULL;
    if (clips->count < 1 || clips->rate != p->sample_rate)
        return drift_fail(DRIFT_ERR_ARG, "the clip set (%d clips at %d Hz) does not fit the model's %d Hz",
                          clips->count, clips->rate, p->sample_rate);
    if (!(o->snr_lo <= o->snr_hi) || !isfinite(o->snr_lo) || !isfinite(o->snr_hi))
        return drift_fail(DRIFT_ERR_ARG, "SNR range [%g, %g] dB is empty", o->snr_lo, o->snr_hi);
    if (!(o->augment >= 0 && o->augment <= 1))
        return drift_fail(DRIFT_ERR_ARG, "noise augmentation probability %g is outside 0..1", o->augment);
    if (!(o->context_seconds >= 0 && o->context_seconds <= 600))
        return drift_fail(DRIFT_ERR_ARG, "pair context %g s is outside 0..600", o->context_seconds);
    drift_pair_source *ps = calloc(1, sizeof *ps);
    if (!ps)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    ps->clips = clips;
    ps->p = *p;
    ps->o = *o;
    drift_status s = collect_speech(ps);
    for (int k = 0; k < DRIFT_NOISE_COUNT; k++) {
        bool allowed = o->noise_mask ? (o->noise_mask >> k) & 1u : !drift_noise_held_out((drift_noise_kind)k);
        if (k == DRIFT_NOISE_BABBLE && ps->speech.count == 0)
            allowed = false; /* no speech to make babble from */
        if (allowed)
            ps->kinds[ps->n_kinds++] = k;
    }
    if (s == DRIFT_OK && ps->n_kinds == 0)
        s = drift_fail(DRIFT_ERR_ARG, "no noise kind is allowed (babble needs clips under a 'speech' folder)");
    size_t W = drift_denoise_window_samples(p), C = (size_t)(o->context_seconds * p->sample_rate);
    ps->context = C > W ? C : W;
    ps->clean = malloc(ps->context * sizeof(float));
    ps->noisy = malloc(ps->context * sizeof(float));
    ps->noise = malloc(ps->context * sizeof(float));
    ps->spec = malloc((size_t)4 * p->frames * (p->n_fft / 2 + 1) * sizeof(float));
    ps->noise_pw = malloc((size_t)(p->n_fft / 2 + 1) * sizeof(float));
    if (s == DRIFT_OK && (!ps->clean || !ps->noisy || !ps->noise || !ps->spec || !ps->noise_pw))
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    if (s == DRIFT_OK)
        s = drift_denoise_stft(p, &ps->stft);
    if (s != DRIFT_OK) {
        drift_pair_source_free(ps);
        return s;
    }
    *out = ps;
    return DRIFT_OK;
}

/* A random window of a random clip, retried a few times when nearly
 * silent, at a random level. */
static void clean_window(drift_pair_source *ps, drift_rng *rng, float *out, size_t W)
{
    const drift_clip_set *c = ps->clips;
    for (int attempt = 0; attempt < 4; attempt++) {
        int i = (int)drift_rng_below(rng, (uint32_t)c->count);
        size_t len = c->lengths[i];
        memset(out, 0, W * sizeof(float));
        if (len >= W) {
            size_t start = drift_rng_below(rng, (uint32_t)(len - W + 1));
            memcpy(out, c->clips[i] + start, W * sizeof(float));
        } else {
            size_t off = drift_rng_below(rng, (uint32_t)(W - len + 1));
            memcpy(out + off, c->clips[i], len * sizeof(float));
        }
        if (energy(out, W) / (double)W > 1e-7)
            break;
    }
    double rms = sqrt(energy(out, W) / (double)W);
    double level = pow(10, (-35 + 20 * drift_rng_uniform(rng)) / 20);
    float g = rms > 1e-6 ? (float)(level / rms) : 1.0f;
    for (size_t i = 0; i < W; i++)
        out[i] *= g;
}

size_t drift_pair_samples(const drift_pair_source *ps)
{
    return ps->context;
}

drift_status drift_pair_make(drift_pair_source *ps, drift_rng *rng, float *clean, float *noisy,
                             drift_noise_kind *kind, double *snr_db)
{
    size_t W = ps->context;
    clean_window(ps, rng, clean, W);
    drift_noise_kind k = (drift_noise_kind)ps->kinds[drift_rng_below(rng, (uint32_t)ps->n_kinds)];
    double snr = ps->o.snr_lo + (ps->o.snr_hi - ps->o.snr_lo) * drift_rng_uniform(rng);
    drift_status s = drift_noise_generate(k, ps->p.sample_rate, W, rng, &ps->speech, ps->noise);
    if (s != DRIFT_OK)
        return s;
    if (ps->o.augment > 0 && drift_rng_uniform(rng) < ps->o.augment)
        drift_noise_augment(ps->p.sample_rate, W, rng, ps->noise, noisy); /* noisy is free until the mix */
    drift_mix_at_snr(clean, ps->noise, W, snr, noisy);
    if (kind)
        *kind = k;
    if (snr_db)
        *snr_db = snr;
    return DRIFT_OK;
}

static drift_status fill(void *user, int64_t step, drift_rng *rng, drift_batch *b)
{
    drift_pair_source *ps = user;
    size_t fdim = (size_t)ps->p.bins * ps->p.frames;
    if (b->dim != fdim || b->extra_dim != 2 * fdim)
        return drift_fail(DRIFT_ERR_SHAPE, "denoise pairs give %zu + %zu floats per sample, the model wants %zu + %zu",
                          fdim, 2 * fdim, b->dim, b->extra_dim);
    drift_status s = DRIFT_OK;
    size_t W = drift_denoise_window_samples(&ps->p);
    for (int i = 0; s == DRIFT_OK && i < b->size; i++) {
        s = drift_pair_make(ps, rng, ps->clean, ps->noisy, NULL, NULL);
        size_t at = drift_rng_below(rng, (uint32_t)(ps->context - W + 1)); /* the window inside the context */
        if (s == DRIFT_OK)
            s = drift_denoise_noise_estimate(&ps->p, ps->stft, ps->noisy, ps->context, ps->noise_pw);
        float *cond = b->extra + i * 2 * fdim;
        if (s == DRIFT_OK)
            s = drift_denoise_features(&ps->p, ps->stft, ps->noisy + at, ps->noise_pw, cond, ps->spec);
        if (s == DRIFT_OK)
            s = drift_denoise_target(&ps->p, ps->stft, ps->clean + at, ps->noisy + at, cond, ps->spec,
                                     b->x0 + i * fdim);
    }
    return s;
}

drift_data_source drift_pair_source_data(drift_pair_source *ps)
{
    drift_data_source d = {fill, ps};
    return d;
}
