/* mel.c: mel filterbanks (as torchaudio's melscale_fbanks), mel
 * spectrograms, their inverse, decibels and model normalisation. */
#include "mel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct drift_mel {
    drift_mel_config cfg;
    float *fb;       /* (n_mels, n_freqs) */
    double *f_pts;   /* (n_mels + 2) band edges in Hz */
    float *band_sum; /* (n_mels) sum over bins of each filter */
    float *bin_sum;  /* (n_freqs) sum over filters at each bin */
    double lipschitz; /* largest eigenvalue of fb fb^T */
};

/* Slaney's scale: linear below 1 kHz (200/3 Hz per mel), logarithmic
 * above (27 mels per factor 6.4). */
#define SLANEY_SP (200.0 / 3.0)
#define SLANEY_LOG_HZ 1000.0
#define SLANEY_LOG_MEL (SLANEY_LOG_HZ / SLANEY_SP)
#define SLANEY_LOGSTEP (log(6.4) / 27.0)

double drift_hz_to_mel(double hz, drift_mel_scale scale)
{
    if (scale == DRIFT_MEL_HTK)
        return 2595.0 * log10(1.0 + hz / 700.0);
    if (hz >= SLANEY_LOG_HZ)
        return SLANEY_LOG_MEL + log(hz / SLANEY_LOG_HZ) / SLANEY_LOGSTEP;
    return hz / SLANEY_SP;
}

double drift_mel_to_hz(double mel, drift_mel_scale scale)
{
    if (scale == DRIFT_MEL_HTK)
        return 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
    if (mel >= SLANEY_LOG_MEL)
        return SLANEY_LOG_HZ * exp(SLANEY_LOGSTEP * (mel - SLANEY_LOG_MEL));
    return SLANEY_SP * mel;
}

static drift_status check_config(const drift_mel_config *c)
{
    if (c->sample_rate < 1 || c->sample_rate > 10000000)
        return drift_fail(DRIFT_ERR_ARG, "mel sample rate must be in [1, 10^7] Hz, got %d", c->sample_rate);
    if (c->n_freqs < 2 || c->n_freqs > (1 << 23))
        return drift_fail(DRIFT_ERR_ARG, "mel filterbank needs >= 2 frequency bins, got %d", c->n_freqs);
    if (c->n_mels < 1 || c->n_mels > 4096)
        return drift_fail(DRIFT_ERR_ARG, "n_mels must be in [1, 4096], got %d", c->n_mels);
    double nyquist = c->sample_rate / 2;
    if (!(c->f_min >= 0) || !(c->f_max >= 0) || c->f_max > nyquist ||
        (c->f_max > 0 && c->f_min >= c->f_max) || c->f_min >= nyquist)
        return drift_fail(DRIFT_ERR_ARG, "mel band %g..%g Hz is not inside 0..%g Hz", c->f_min, c->f_max, nyquist);
    if ((unsigned)c->scale > DRIFT_MEL_SLANEY || (unsigned)c->norm > DRIFT_MEL_NORM_SLANEY)
        return drift_fail(DRIFT_ERR_ARG, "unknown mel scale %d or norm %d", (int)c->scale, (int)c->norm);
    return DRIFT_OK;
}

static void fill_band_edges(drift_mel *m)
{
    const drift_mel_config *c = &m->cfg;
    double m_min = drift_hz_to_mel(c->f_min, c->scale), m_max = drift_hz_to_mel(c->f_max, c->scale);
    for (int i = 0; i < c->n_mels + 2; i++)
        m->f_pts[i] = drift_mel_to_hz(m_min + (m_max - m_min) * i / (c->n_mels + 1), c->scale);
}

/* Triangles between consecutive band edges; bin k sits at k * (sr // 2) /
 * (n_freqs - 1) Hz, as torchaudio places it. */
static void fill_filterbank(drift_mel *m)
{
    const drift_mel_config *c = &m->cfg;
    double top = (double)(c->sample_rate / 2);
    for (int b = 0; b < c->n_mels; b++) {
        const double *f = m->f_pts + b;
        double enorm = c->norm == DRIFT_MEL_NORM_SLANEY ? 2.0 / (f[2] - f[0]) : 1.0;
        for (int k = 0; k < c->n_freqs; k++) {
            double hz = top * k / (c->n_freqs - 1);
            double down = (hz - f[0]) / (f[1] - f[0]), up = (f[2] - hz) / (f[2] - f[1]);
            double v = fmax(0.0, fmin(down, up));
            m->fb[(size_t)b * c->n_freqs + k] = (float)(v * enorm);
        }
    }
}

/* Largest eigenvalue of fb fb^T by power iteration (it is symmetric
 * positive semi-definite and small: n_mels x n_mels). */
static double largest_eigenvalue(const drift_mel *m)
{
    int nm = m->cfg.n_mels, nf = m->cfg.n_freqs;
    double *g = calloc((size_t)nm * nm, sizeof *g), *v = malloc(nm * sizeof *v), *w = malloc(nm * sizeof *w);
    double lambda = 0;
    if (g && v && w) {
        for (int a = 0; a < nm; a++)
            for (int b = 0; b < nm; b++)
                for (int k = 0; k < nf; k++)
                    g[a * nm + b] += (double)m->fb[(size_t)a * nf + k] * m->fb[(size_t)b * nf + k];
        for (int a = 0; a < nm; a++)
            v[a] = 1.0;
        for (int it = 0; it < 200; it++) {
            double norm = 0;
            for (int a = 0; a < nm; a++) {
                w[a] = 0;
                for (int b = 0; b < nm; b++)
                    w[a] += g[a * nm + b] * v[b];
                norm += w[a] * w[a];
            }
            norm = sqrt(norm);
            if (norm == 0)
                break;
            double vn = 0;
            for (int a = 0; a < nm; a++)
                vn += v[a] * v[a];
            lambda = norm / sqrt(vn);
            for (int a = 0; a < nm; a++)
                v[a] = w[a] / norm;
        }
    }
    free(g);
    free(v);
    free(w);
    return lambda;
}

static void fill_sums(drift_mel *m)
{
    int nm = m->cfg.n_mels, nf = m->cfg.n_freqs;
    memset(m->bin_sum, 0, (size_t)nf * sizeof(float));
    for (int b = 0; b < nm; b++) {
        double s = 0;
        for (int k = 0; k < nf; k++) {
            s += m->fb[(size_t)b * nf + k];
            m->bin_sum[k] += m->fb[(size_t)b * nf + k];
        }
        m->band_sum[b] = (float)s;
    }
}

drift_status drift_mel_create(drift_mel **out, const drift_mel_config *cfg)
{
    *out = NULL;
    drift_status s = check_config(cfg);
    if (s)
        return s;
    drift_mel *m = calloc(1, sizeof *m);
    if (!m)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a mel filterbank");
    m->cfg = *cfg;
    if (m->cfg.f_max == 0)
        m->cfg.f_max = (double)(cfg->sample_rate / 2);
    size_t nm = (size_t)cfg->n_mels, nf = (size_t)cfg->n_freqs;
    m->fb = malloc(nm * nf * sizeof *m->fb);
    m->f_pts = malloc((nm + 2) * sizeof *m->f_pts);
    m->band_sum = malloc(nm * sizeof *m->band_sum);
    m->bin_sum = malloc(nf * sizeof *m->bin_sum);
    if (!m->fb || !m->f_pts || !m->band_sum || !m->bin_sum) {
        drift_mel_free(m);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a mel filterbank of %zu x %zu", nm, nf);
    }
    fill_band_edges(m);
    fill_filterbank(m);
    fill_sums(m);
    m->lipschitz = largest_eigenvalue(m);
    *out = m;
    return DRIFT_OK;
}

void drift_mel_free(drift_mel *m)
{
    if (!m)
        return;
    free(m->fb);
    free(m->f_pts);
    free(m->band_sum);
    free(m->bin_sum);
    free(m);
}

const drift_mel_config *drift_mel_get_config(const drift_mel *m) { return &m->cfg; }
const float *drift_mel_filterbank(const drift_mel *m) { return m->fb; }

double drift_mel_band_hz(const drift_mel *m, int band)
{
    if (band < 0 || band >= m->cfg.n_mels)
        return 0;
    return m->f_pts[band + 1];
}

void drift_mel_apply(const drift_mel *m, const float *spec, size_t frames, float *mel)
{
    int nm = m->cfg.n_mels, nf = m->cfg.n_freqs;
    drift_sgemm(false, true, nm, (int)frames, nf, 1.0f, m->fb, nf, spec, nf, 0.0f, mel, (int)frames);
}

drift_status drift_mel_spectrogram(const drift_stft *stft, const drift_mel *m, const float *x, size_t n,
                                   float power, float *mel)
{
    if (drift_stft_bins(stft) != m->cfg.n_freqs)
        return drift_fail(DRIFT_ERR_SHAPE, "STFT has %d bins but the mel filterbank expects %d",
                          drift_stft_bins(stft), m->cfg.n_freqs);
    size_t frames = drift_stft_frames(stft, n);
    float *spec = malloc((frames ? frames : 1) * (size_t)m->cfg.n_freqs * sizeof *spec);
    if (!spec)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a spectrogram of %zu frames", frames);
    drift_status s = drift_stft_magnitude(stft, x, n, power, spec);
    if (!s)
        drift_mel_apply(m, spec, frames, mel);
    free(spec);
    return s;
}

/* Starting point: each band's mean level spread over its bins, blended
 * where bands overlap. spec: (frames, n_freqs). */
static void invert_initial(const drift_mel *m, const float *mel, size_t frames, float *scaled, float *spec)
{
    int nm = m->cfg.n_mels, nf = m->cfg.n_freqs;
    for (int b = 0; b < nm; b++)
        for (size_t t = 0; t < frames; t++) {
            float v = mel[(size_t)b * frames + t];
            scaled[(size_t)b * frames + t] = m->band_sum[b] > 0 && v > 0 ? v / m->band_sum[b] : 0.0f;
        }
    drift_sgemm(true, false, (int)frames, nf, nm, 1.0f, scaled, (int)frames, m->fb, nf, 0.0f, spec, nf);
    for (size_t t = 0; t < frames; t++)
        for (int k = 0; k < nf; k++) {
            float *v = &spec[t * nf + k];
            *v = m->bin_sum[k] > 0 ? *v / m->bin_sum[k] : 0.0f;
        }
}

drift_status drift_mel_invert(const drift_mel *m, const float *mel, size_t frames, int iterations, float *spec)
{
    if (frames == 0 || iterations < 0)
        return drift_fail(DRIFT_ERR_ARG, "mel inversion needs frames > 0 and iterations >= 0 (got %zu, %d)",
                          frames, iterations);
    int nm = m->cfg.n_mels, nf = m->cfg.n_freqs;
    size_t ns = frames * (size_t)nf;
    float *resid = malloc((size_t)nm * frames * sizeof *resid);
    float *y = malloc(ns * sizeof *y), *prev = malloc(ns * sizeof *prev);
    if (!resid || !y || !prev) {
        free(resid), free(y), free(prev);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory inverting a mel spectrogram of %zu frames", frames);
    }
    invert_initial(m, mel, frames, resid, spec);
    float step = m->lipschitz > 0 ? (float)(1.0 / m->lipschitz) : 0.0f;
    memcpy(prev, spec, ns * sizeof *spec);
    memcpy(y, spec, ns * sizeof *spec);
    /* FISTA: a gradient step from the extrapolated point y, then projection
     * onto spec >= 0, then extrapolation by the Nesterov factor. */
    for (int it = 0; it < iterations; it++) {
        memcpy(resid, mel, (size_t)nm * frames * sizeof *resid);
        drift_sgemm(false, true, nm, (int)frames, nf, 1.0f, m->fb, nf, y, nf, -1.0f, resid, (int)frames);
        memcpy(spec, y, ns * sizeof *spec);
        drift_sgemm(true, false, (int)frames, nf, nm, -step, resid, (int)frames, m->fb, nf, 1.0f, spec, nf);
        float beta = (float)it / (float)(it + 3);
        for (size_t i = 0; i < ns; i++) {
            float v = spec[i] > 0 ? spec[i] : 0.0f;
            spec[i] = v;
            float e = v + beta * (v - prev[i]);
            y[i] = e > 0 ? e : 0.0f;
            prev[i] = v;
        }
    }
    free(resid), free(y), free(prev);
    return DRIFT_OK;
}

void drift_amplitude_to_db(float *x, size_t n, float multiplier, float amin, float ref, float top_db)
{
    double offset = multiplier * log10(fmax(amin, ref));
    float peak = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)(multiplier * log10(fmax(x[i], amin)) - offset);
        if (x[i] > peak)
            peak = x[i];
    }
    if (top_db > 0)
        for (size_t i = 0; i < n; i++)
            if (x[i] < peak - top_db)
                x[i] = peak - top_db;
}

void drift_db_to_amplitude(float *x, size_t n, float multiplier, float ref)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(ref * pow(10.0, x[i] / multiplier));
}

drift_spec_norm drift_spec_norm_default(void) { return (drift_spec_norm){-100.0f, 60.0f}; }

drift_spec_norm drift_spec_norm_fit(const float *db, size_t n, float range_db)
{
    float hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (db[i] > hi)
            hi = db[i];
    if (!isfinite(hi))
        hi = 0;
    return (drift_spec_norm){hi - range_db, hi};
}

drift_status drift_spec_norm_check(const drift_spec_norm *norm)
{
    if (!isfinite(norm->lo_db) || !isfinite(norm->hi_db) || !(norm->hi_db > norm->lo_db))
        return drift_fail(DRIFT_ERR_ARG, "spectrogram normalisation needs finite lo_db < hi_db, got %g, %g",
                          (double)norm->lo_db, (double)norm->hi_db);
    return DRIFT_OK;
}

void drift_spec_normalize(const drift_spec_norm *norm, float *x, size_t n)
{
    float scale = 2.0f / (norm->hi_db - norm->lo_db);
    for (size_t i = 0; i < n; i++) {
        float v = x[i] < norm->lo_db ? norm->lo_db : x[i] > norm->hi_db ? norm->hi_db : x[i];
        x[i] = (v - norm->lo_db) * scale - 1.0f;
    }
}

void drift_spec_denormalize(const drift_spec_norm *norm, float *x, size_t n)
{
    float scale = 0.5f * (norm->hi_db - norm->lo_db);
    for (size_t i = 0; i < n; i++) {
        float v = x[i] < -1.0f ? -1.0f : x[i] > 1.0f ? 1.0f : x[i];
        x[i] = (v + 1.0f) * scale + norm->lo_db;
    }
}
