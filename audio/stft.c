/* stft.c: short-time Fourier transform and inverse on FFTW single
 * precision plans (see stft.h). */
#include "stft.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct drift_stft {
    drift_stft_config cfg;
    int bins;
    size_t pad;      /* n_fft / 2 when centred, else 0 */
    float *window;   /* (n_fft) */
    float *window_sq;
    fftwf_plan r2c;  /* n_fft real -> bins complex */
    fftwf_plan c2r;  /* bins complex -> n_fft real */
};

/* FFTW's planner is not thread-safe; every plan is made and destroyed
 * under this lock. */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const window_names[] = {"hann", "hamming", "rect"};

const char *drift_window_name(drift_window_kind k)
{
    return (unsigned)k < 3 ? window_names[k] : "unknown";
}

drift_status drift_window_parse(const char *name, drift_window_kind *out)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, window_names[i])) {
            *out = (drift_window_kind)i;
            return DRIFT_OK;
        }
    if (!strcmp(name, "rectangular") || !strcmp(name, "boxcar")) {
        *out = DRIFT_WINDOW_RECT;
        return DRIFT_OK;
    }
    return drift_fail(DRIFT_ERR_ARG, "unknown window '%s' (expected hann, hamming or rect)", name);
}

/* Periodic window of win samples centred in n_fft: (n_fft). */
static void fill_window(float *w, int n_fft, int win, drift_window_kind kind)
{
    int left = (n_fft - win) / 2;
    memset(w, 0, (size_t)n_fft * sizeof *w);
    for (int i = 0; i < win; i++) {
        double c = cos(2.0 * M_PI * i / win);
        double v = kind == DRIFT_WINDOW_HANN ? 0.5 - 0.5 * c : kind == DRIFT_WINDOW_HAMMING ? 0.54 - 0.46 * c : 1.0;
        w[left + i] = (float)v;
    }
}

static drift_status check_config(const drift_stft_config *c)
{
    if (c->n_fft < 2 || c->n_fft > (1 << 24))
        return drift_fail(DRIFT_ERR_ARG, "STFT n_fft must be in [2, 2^24], got %d", c->n_fft);
    if (c->hop < 1)
        return drift_fail(DRIFT_ERR_ARG, "STFT hop must be >= 1, got %d", c->hop);
    if (c->win_length < 0 || c->win_length > c->n_fft)
        return drift_fail(DRIFT_ERR_ARG, "STFT win_length must be in [1, n_fft=%d], got %d", c->n_fft,
                          c->win_length);
    if ((unsigned)c->window > DRIFT_WINDOW_RECT)
        return drift_fail(DRIFT_ERR_ARG, "STFT window kind %d is unknown", (int)c->window);
    return DRIFT_OK;
}

static drift_status make_plans(drift_stft *p)
{
    int n = p->cfg.n_fft;
    float *re = fftwf_alloc_real((size_t)n);
    fftwf_complex *cx = fftwf_alloc_complex((size_t)p->bins);
    if (!re || !cx) {
        fftwf_free(re);
        fftwf_free(cx);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory planning an STFT of n_fft %d", n);
    }
    pthread_mutex_lock(&planner_lock);
    p->r2c = fftwf_plan_dft_r2c_1d(n, re, cx, FFTW_ESTIMATE);
    p->c2r = fftwf_plan_dft_c2r_1d(n, cx, re, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
    pthread_mutex_unlock(&planner_lock);
    fftwf_free(re);
    fftwf_free(cx);
    if (!p->r2c || !p->c2r)
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "FFTW could not plan a transform of size %d", n);
    return DRIFT_OK;
}

drift_status drift_stft_create(drift_stft **out, const drift_stft_config *cfg)
{
    *out = NULL;
    drift_status s = check_config(cfg);
    if (s)
        return s;
    drift_stft *p = calloc(1, sizeof *p);
    if (!p)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory creating an STFT plan");
    p->cfg = *cfg;
    if (p->cfg.win_length == 0)
        p->cfg.win_length = cfg->n_fft;
    p->bins = cfg->n_fft / 2 + 1;
    p->pad = cfg->center ? (size_t)(cfg->n_fft / 2) : 0;
    p->window = malloc(2 * (size_t)cfg->n_fft * sizeof(float));
    if (!p->window) {
        free(p);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory creating an STFT plan");
    }
    p->window_sq = p->window + cfg->n_fft;
    fill_window(p->window, cfg->n_fft, p->cfg.win_length, cfg->window);
    for (int i = 0; i < cfg->n_fft; i++)
        p->window_sq[i] = p->window[i] * p->window[i];
    s = make_plans(p);
    if (s) {
        drift_stft_free(p);
        return s;
    }
    *out = p;
    return DRIFT_OK;
}

void drift_stft_free(drift_stft *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&planner_lock);
    if (p->r2c)
        fftwf_destroy_plan(p->r2c);
    if (p->c2r)
        fftwf_destroy_plan(p->c2r);
    pthread_mutex_unlock(&planner_lock);
    free(p->window);
    free(p);
}

const drift_stft_config *drift_stft_get_config(const drift_stft *p) { return &p->cfg; }
int drift_stft_bins(const drift_stft *p) { return p->bins; }
const float *drift_stft_window(const drift_stft *p) { return p->window; }

size_t drift_stft_frames(const drift_stft *p, size_t n)
{
    size_t padded = n + 2 * p->pad;
    if (n == 0 || padded < (size_t)p->cfg.n_fft)
        return 0;
    return 1 + (padded - (size_t)p->cfg.n_fft) / (size_t)p->cfg.hop;
}

size_t drift_istft_default_length(const drift_stft *p, size_t frames)
{
    if (frames == 0)
        return 0;
    return (size_t)p->cfg.hop * (frames - 1) + (size_t)p->cfg.n_fft - 2 * p->pad;
}

/* ---- forward ---------------------------------------------------------- */

typedef struct forward_job {
    const drift_stft *p;
    const float *x;
    size_t n;
    float *out;   /* complex (frames, bins, 2) or magnitude (frames, bins) */
    float power;  /* 0: complex output */
    atomic_int nomem;
} forward_job;

/* Windowed frame t of the (virtually) reflect-padded signal: (n_fft). */
static void load_frame(const drift_stft *p, const float *x, size_t n, size_t t, float *frame)
{
    int n_fft = p->cfg.n_fft;
    long start = (long)(t * (size_t)p->cfg.hop) - (long)p->pad;
    if (start >= 0 && (size_t)start + (size_t)n_fft <= n) {
        for (int k = 0; k < n_fft; k++)
            frame[k] = p->window[k] * x[start + k];
        return;
    }
    for (int k = 0; k < n_fft; k++) {
        long j = start + k;
        if (j < 0)
            j = -j;
        if (j >= (long)n)
            j = 2 * ((long)n - 1) - j;
        frame[k] = p->window[k] * x[j];
    }
}

static void store_bins(const forward_job *job, const fftwf_complex *c, size_t t)
{
    int bins = job->p->bins;
    if (job->power == 0) {
        memcpy(job->out + t * (size_t)bins * 2, c, (size_t)bins * sizeof *c);
        return;
    }
    float *m = job->out + t * (size_t)bins;
    for (int b = 0; b < bins; b++) {
        float e = c[b][0] * c[b][0] + c[b][1] * c[b][1];
        m[b] = job->power == 2.0f ? e : job->power == 1.0f ? sqrtf(e) : powf(e, 0.5f * job->power);
    }
}

static void forward_range(void *ctx, size_t begin, size_t end)
{
    forward_job *job = ctx;
    const drift_stft *p = job->p;
    float *frame = fftwf_alloc_real((size_t)p->cfg.n_fft);
    fftwf_complex *spec = fftwf_alloc_complex((size_t)p->bins);
    if (frame && spec) {
        for (size_t t = begin; t < end; t++) {
            load_frame(p, job->x, job->n, t, frame);
            fftwf_execute_dft_r2c(p->r2c, frame, spec);
            store_bins(job, spec, t);
        }
    } else {
        atomic_store(&job->nomem, 1);
    }
    fftwf_free(frame);
    fftwf_free(spec);
}

static drift_status run_forward(const drift_stft *p, const float *x, size_t n, float power, float *out)
{
    if (p->pad && n <= p->pad)
        return drift_fail(DRIFT_ERR_ARG, "STFT input of %zu samples is too short for reflect padding by %zu "
                          "(n_fft %d)", n, p->pad, p->cfg.n_fft);
    size_t frames = drift_stft_frames(p, n);
    if (frames == 0)
        return drift_fail(DRIFT_ERR_ARG, "STFT input of %zu samples is shorter than n_fft %d", n, p->cfg.n_fft);
    forward_job job = {p, x, n, out, power, 0};
    drift_parallel_for(frames, 8, forward_range, &job);
    if (atomic_load(&job.nomem))
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory in the STFT");
    return DRIFT_OK;
}

drift_status drift_stft_forward(const drift_stft *p, const float *x, size_t n, float *spec)
{
    return run_forward(p, x, n, 0.0f, spec);
}

drift_status drift_stft_magnitude(const drift_stft *p, const float *x, size_t n, float power, float *mag)
{
    if (!(power > 0))
        return drift_fail(DRIFT_ERR_ARG, "STFT magnitude power must be > 0, got %g", (double)power);
    return run_forward(p, x, n, power, mag);
}

/* ---- inverse ---------------------------------------------------------- */

typedef struct inverse_job {
    const drift_stft *p;
    const float *spec;
    size_t frames;
    float *y;
    size_t start;      /* first output sample in padded coordinates */
    size_t covered;    /* padded samples [start, covered) come from frames */
    size_t length;
    atomic_int nomem;
    atomic_long bad_sample; /* a sample with a zero window sum, or -1 */
} inverse_job;

/* Adds windowed frame t into acc/env, which hold padded samples [lo, hi). */
static void add_frame(const inverse_job *job, size_t t, fftwf_complex *spec, float *frame, size_t lo, size_t hi,
                      float *acc, float *env)
{
    const drift_stft *p = job->p;
    size_t n_fft = (size_t)p->cfg.n_fft, at = t * (size_t)p->cfg.hop;
    memcpy(spec, job->spec + t * (size_t)p->bins * 2, (size_t)p->bins * sizeof *spec);
    fftwf_execute_dft_c2r(p->c2r, spec, frame);
    size_t k0 = at < lo ? lo - at : 0, k1 = at + n_fft > hi ? hi - at : n_fft;
    float scale = 1.0f / (float)n_fft;
    for (size_t k = k0; k < k1; k++) {
        acc[at + k - lo] += frame[k] * scale * p->window[k];
        env[at + k - lo] += p->window_sq[k];
    }
}

/* Output samples of hop-sized segments [begin, end): every frame that
 * overlaps them is transformed here (a few frames at the edges of a range
 * twice), overlap-added in frame order and divided by the window sum. */
static void inverse_range(void *ctx, size_t begin, size_t end)
{
    inverse_job *job = ctx;
    const drift_stft *p = job->p;
    size_t hop = (size_t)p->cfg.hop, n_fft = (size_t)p->cfg.n_fft;
    size_t lo = job->start + begin * hop, hi = job->start + end * hop;
    if (hi > job->start + job->length)
        hi = job->start + job->length;
    size_t hi_cov = hi < job->covered ? hi : job->covered;
    size_t n = hi - lo;
    float *frame = fftwf_alloc_real(n_fft), *acc = calloc(2 * n, sizeof *acc);
    fftwf_complex *spec = fftwf_alloc_complex((size_t)p->bins);
    if (!frame || !acc || !spec) {
        atomic_store(&job->nomem, 1);
    } else if (lo < hi_cov) {
        size_t t_lo = lo + 1 > n_fft ? (lo + 1 - n_fft + hop - 1) / hop : 0;
        size_t t_hi = (hi_cov - 1) / hop < job->frames - 1 ? (hi_cov - 1) / hop : job->frames - 1;
        for (size_t t = t_lo; t <= t_hi; t++)
            add_frame(job, t, spec, frame, lo, hi_cov, acc, acc + n);
    }
    for (size_t j = lo; acc && j < hi; j++) {
        float *out = &job->y[j - job->start];
        float e = acc[n + j - lo];
        if (j >= hi_cov) {
            *out = 0.0f;
        } else if (e < 1e-11f) {
            long expected = -1;
            atomic_compare_exchange_strong(&job->bad_sample, &expected, (long)(j - job->start));
            *out = 0.0f;
        } else {
            *out = acc[j - lo] / e;
        }
    }
    fftwf_free(frame);
    fftwf_free(spec);
    free(acc);
}

drift_status drift_stft_inverse(const drift_stft *p, const float *spec, size_t frames, float *y, size_t length)
{
    if (frames == 0)
        return drift_fail(DRIFT_ERR_ARG, "inverse STFT of zero frames");
    if (length == 0)
        length = drift_istft_default_length(p, frames);
    size_t hop = (size_t)p->cfg.hop;
    inverse_job job = {.p = p, .spec = spec, .frames = frames, .y = y, .start = p->pad, .length = length};
    job.covered = hop * (frames - 1) + (size_t)p->cfg.n_fft;
    atomic_init(&job.nomem, 0);
    atomic_init(&job.bad_sample, -1);
    size_t grain = (size_t)p->cfg.n_fft / hop * 8 + 8;
    drift_parallel_for((length + hop - 1) / hop, grain, inverse_range, &job);
    if (atomic_load(&job.nomem))
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory in the inverse STFT");
    long bad = atomic_load(&job.bad_sample);
    if (bad >= 0)
        return drift_fail(DRIFT_ERR_NUMERIC, "inverse STFT: the squared %s window (length %d) overlap-adds to "
                          "zero at output sample %ld; use a smaller hop than %d", drift_window_name(p->cfg.window),
                          p->cfg.win_length, bad, p->cfg.hop);
    return DRIFT_OK;
}
