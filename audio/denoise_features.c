/* denoise_features.c: the audio denoiser's representation and the
 * classical Wiener method (see denoise_features.h). */
#include "denoise_features.h"

#include "taskjson.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- parameters --------------------------------------------------------- */

drift_denoise_params drift_denoise_params_default(void)
{
    drift_denoise_params p = {16000, 512, 128, 256, 64, -60.0f, 40.0f, -25.0f, 0.0f};
    return p;
}

drift_status drift_denoise_params_check(const drift_denoise_params *p)
{
    if (p->sample_rate < 8000 || p->sample_rate > 192000)
        return drift_fail(DRIFT_ERR_ARG, "denoise sample_rate %d is outside 8000..192000", p->sample_rate);
    if (p->n_fft < 16 || p->n_fft > 8192 || p->hop < 1 || p->hop > p->n_fft / 2)
        return drift_fail(DRIFT_ERR_ARG, "denoise n_fft %d / hop %d: want 16..8192 and hop <= n_fft/2", p->n_fft,
                          p->hop);
    if (p->bins < 1 || p->bins > p->n_fft / 2)
        return drift_fail(DRIFT_ERR_ARG, "denoise bins %d must be in 1..%d (n_fft/2)", p->bins, p->n_fft / 2);
    if (p->frames < 8 || p->frames > 4096 || p->frames % 8)
        return drift_fail(DRIFT_ERR_ARG, "denoise frames %d must be a multiple of 8 in 8..4096", p->frames);
    if (!(p->db_lo < p->db_hi) || !isfinite(p->db_lo) || !isfinite(p->db_hi))
        return drift_fail(DRIFT_ERR_ARG, "denoise dB range [%g, %g] is empty", p->db_lo, p->db_hi);
    if (!(p->level_db >= -80 && p->level_db <= 0))
        return drift_fail(DRIFT_ERR_ARG, "denoise window level %g dBFS is outside -80..0", p->level_db);
    if (!(p->mask_gain_db >= -20 && p->mask_gain_db <= 20))
        return drift_fail(DRIFT_ERR_ARG, "denoise mask gain %g dB is outside -20..20", p->mask_gain_db);
    return DRIFT_OK;
}

drift_status drift_denoise_params_from_json(const char *task_json, drift_denoise_params *p)
{
    *p = drift_denoise_params_default();
    cJSON *o = task_json ? cJSON_Parse(task_json) : NULL;
    const cJSON *kind = o ? cJSON_GetObjectItemCaseSensitive(o, "kind") : NULL;
    if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "denoise") != 0) {
        drift_status s = drift_fail(DRIFT_ERR_ARG, "not a denoising model (its task is %s)",
                                    cJSON_IsString(kind) ? kind->valuestring : "missing");
        cJSON_Delete(o);
        return s;
    }
    static const char *const ints[] = {"sample_rate", "n_fft", "hop", "bins", "frames"};
    int *ivals[] = {&p->sample_rate, &p->n_fft, &p->hop, &p->bins, &p->frames};
    static const char *const floats[] = {"db_lo", "db_hi", "level_dbfs", "mask_gain_db"};
    float *fvals[] = {&p->db_lo, &p->db_hi, &p->level_db, &p->mask_gain_db};
    drift_status s = DRIFT_OK;
    for (int i = 0; i < 5 && s == DRIFT_OK; i++)
        s = drift_task_json_int(o, "denoise", ints[i], ivals[i]);
    for (int i = 0; i < 4 && s == DRIFT_OK; i++)
        s = drift_task_json_float(o, "denoise", floats[i], fvals[i]);
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(o, "target");
    bool mask = cJSON_IsString(target) && strcmp(target->valuestring, "wiener_log_residual") == 0;
    cJSON_Delete(o);
    if (s == DRIFT_OK && !mask)
        return drift_fail(DRIFT_ERR_FORMAT, "this denoising model predicts an older target (not a log "
                          "residual on the Wiener gain); "
                          "retrain it with this version of drift");
    return s == DRIFT_OK ? drift_denoise_params_check(p) : s;
}

drift_status drift_denoise_params_from_model(const drift_model *m, drift_denoise_params *p)
{
    return drift_denoise_params_from_json(m->cfg.task_json, p);
}

char *drift_denoise_params_to_json(const drift_denoise_params *p)
{
    char buf[512], gain[64] = "";
    if (p->mask_gain_db != 0) /* written only when set, so uncalibrated models keep their JSON */
        snprintf(gain, sizeof gain, ",\"mask_gain_db\":%.9g", (double)p->mask_gain_db);
    snprintf(buf, sizeof buf,
             "{\"kind\":\"denoise\",\"target\":\"wiener_log_residual\",\"sample_rate\":%d,\"n_fft\":%d,\"hop\":%d,"
             "\"bins\":%d,\"frames\":%d,\"db_lo\":%.9g,\"db_hi\":%.9g,\"level_dbfs\":%.9g%s}",
             p->sample_rate, p->n_fft, p->hop, p->bins, p->frames, (double)p->db_lo, (double)p->db_hi,
             (double)p->level_db, gain);
    return strdup(buf);
}

size_t drift_denoise_window_samples(const drift_denoise_params *p)
{
    return (size_t)p->hop * (size_t)(p->frames - 1) + 1;
}

drift_status drift_denoise_stft(const drift_denoise_params *p, drift_stft **out)
{
    drift_stft_config c = {p->n_fft, p->hop, 0, DRIFT_WINDOW_HANN, true};
    return drift_stft_create(out, &c);
}

/* ---- representation ------------------------------------------------------ */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* noise: (nb) mean power of the quietest 15% of frames of pw: (frames, nb). */
static drift_status quietest_frames_power(const float *pw, size_t frames, int nb, float *noise)
{
    float *energy = malloc(frames * 2 * sizeof(float));
    if (!energy)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for the noise estimate");
    for (size_t f = 0; f < frames; f++) {
        double e = 0;
        for (int k = 0; k < nb; k++)
            e += pw[f * nb + k];
        energy[2 * f] = (float)e;
        energy[2 * f + 1] = (float)f;
    }
    qsort(energy, frames, 2 * sizeof(float), cmp_float);
    size_t quiet = frames * 15 / 100 > 0 ? frames * 15 / 100 : 1;
    memset(noise, 0, (size_t)nb * sizeof(float));
    for (size_t i = 0; i < quiet; i++)
        for (int k = 0; k < nb; k++)
            noise[k] += pw[(size_t)energy[2 * i + 1] * nb + k] / (float)quiet;
    free(energy);
    return DRIFT_OK;
}

/* Decision-directed Wiener gains (Ephraim & Malah 1984, alpha 0.98, floor
 * 0.1): pw: (frames, nb) noisy power, noise: (nb) noise power -> gain:
 * (frames, nb) in [0.1, 1]. The recursion starts from the first frame's
 * power above the noise. */
static void wiener_gains(const float *pw, size_t frames, int nb, const float *noise, float *gain)
{
    const double alpha = 0.98, gmin = 0.1;
    for (int k = 0; k < nb && frames > 0; k++) {
        double nk = fmax(noise[k], 1e-20), prev_clean = fmax(pw[k] - nk, 0);
        for (size_t f = 0; f < frames; f++) {
            double gamma = pw[f * nb + k] / nk;
            double xi = alpha * prev_clean / nk + (1 - alpha) * fmax(gamma - 1, 0);
            double g = fmax(xi / (1 + xi), gmin);
            gain[f * nb + k] = (float)g;
            prev_clean = g * g * pw[f * nb + k];
        }
    }
}

drift_status drift_denoise_noise_estimate(const drift_denoise_params *p, const drift_stft *stft, const float *x,
                                         size_t n, float *noise)
{
    int nb = p->n_fft / 2 + 1;
    size_t frames = drift_stft_frames(stft, n);
    float *spec = malloc((frames * nb * 2 + 1) * sizeof(float));
    if (!spec)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a %zu-frame spectrum", frames);
    drift_status s = drift_stft_forward(stft, x, n, spec);
    for (size_t i = 0; s == DRIFT_OK && i < frames * nb; i++)
        spec[i] = spec[2 * i] * spec[2 * i] + spec[2 * i + 1] * spec[2 * i + 1]; /* powers, in place */
    if (s == DRIFT_OK)
        s = quietest_frames_power(spec, frames, nb, noise);
    free(spec);
    return s;
}

/* dB to add to x: (n) to bring its RMS to level_db (at most +100 dB). */
static float level_offset_db(const drift_denoise_params *p, const float *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    double rms = sqrt(e / (double)(n ? n : 1));
    return p->level_db - (float)(20 * log10(fmax(rms, 1e-5)));
}

/* Normalised feature of a power pw after adding offset dB. */
static float feature_of_power(const drift_denoise_params *p, float pw, float offset)
{
    float db = 10.0f * log10f(fmaxf(pw, 1e-20f)) + offset;
    db = fminf(fmaxf(db, p->db_lo), p->db_hi);
    return (db - p->db_lo) * 2.0f / (p->db_hi - p->db_lo) - 1.0f;
}

drift_status drift_denoise_features(const drift_denoise_params *p, const drift_stft *stft, const float *x,
                                    const float *noise, float *feat, float *spec)
{
    int nb = p->n_fft / 2 + 1, F = p->frames;
    size_t W = drift_denoise_window_samples(p), sdim = (size_t)F * nb;
    float *work = malloc(sdim * (spec ? 2 : 4) * sizeof(float)); /* powers, gains[, spectrum] */
    if (!work)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a window's spectrum");
    float *pw = work, *gain = work + sdim, *s = spec ? spec : work + 2 * sdim;
    drift_status st = drift_stft_forward(stft, x, W, s);
    for (size_t i = 0; i < sdim; i++)
        pw[i] = s[2 * i] * s[2 * i] + s[2 * i + 1] * s[2 * i + 1];
    wiener_gains(pw, (size_t)F, nb, noise, gain);
    float offset = level_offset_db(p, x, W);
    for (int k = 0; st == DRIFT_OK && k < p->bins; k++)
        for (int f = 0; f < F; f++) {
            feat[(size_t)k * F + f] = feature_of_power(p, pw[(size_t)f * nb + k], offset);
            feat[(size_t)(p->bins + k) * F + f] = 2.0f * gain[(size_t)f * nb + k] - 1.0f;
        }
    free(work);
    return st;
}

/* The Wiener gain of element i of a (bins, frames) array from the
 * features cond: (2 bins, frames). */
static float wiener_of(const float *cond, size_t dim, size_t i)
{
    return fmaxf(0.5f * (cond[dim + i] + 1.0f), 1e-3f);
}

drift_status drift_denoise_target(const drift_denoise_params *p, const drift_stft *stft, const float *clean,
                                  const float *noisy, const float *cond, float *work, float *target)
{
    int nb = p->n_fft / 2 + 1, F = p->frames;
    size_t W = drift_denoise_window_samples(p), sdim = (size_t)F * nb * 2, dim = (size_t)p->bins * F;
    drift_status st = drift_stft_forward(stft, clean, W, work);
    if (st == DRIFT_OK)
        st = drift_stft_forward(stft, noisy, W, work + sdim);
    for (int f = 0; st == DRIFT_OK && f < F; f++)
        for (int k = 0; k < p->bins; k++) {
            const float *c = work + ((size_t)f * nb + k) * 2, *n = c + sdim;
            float pc = c[0] * c[0] + c[1] * c[1], pn = n[0] * n[0] + n[1] * n[1];
            float m = pn > 0 ? fminf(sqrtf(pc / pn), 1.0f) : 1.0f;
            size_t i = (size_t)k * F + f;
            target[i] = fminf(fmaxf(log10f(fmaxf(m, 1e-6f) / wiener_of(cond, dim, i)), -1.0f), 1.0f);
        }
    return st;
}

void drift_denoise_mask_from_output(const drift_denoise_params *p, int count, const float *cond, float *x)
{
    size_t dim = (size_t)p->bins * p->frames;
    float gain = p->mask_gain_db / 20.0f;
    for (int b = 0; b < count; b++)
        for (size_t i = 0; i < dim; i++) {
            float r = fminf(fmaxf(x[b * dim + i], -1.0f), 1.0f) + gain;
            x[b * dim + i] = fminf(wiener_of(cond + b * 2 * dim, dim, i) * powf(10.0f, r), 1.0f);
        }
}

/* ---- the classical method -------------------------------------------------- */

drift_status drift_denoise_spectral(const float *x, size_t n, int rate, float *y)
{
    int n_fft = 256;
    while (n_fft < 0.032 * rate)
        n_fft *= 2;
    drift_stft_config c = {n_fft, n_fft / 4, 0, DRIFT_WINDOW_HANN, true};
    if (n <= (size_t)n_fft / 2) {
        memcpy(y, x, n * sizeof(float)); /* too short to analyse: leave it */
        return DRIFT_OK;
    }
    drift_stft *stft;
    drift_status s = drift_stft_create(&stft, &c);
    if (s != DRIFT_OK)
        return s;
    int nb = n_fft / 2 + 1;
    size_t frames = drift_stft_frames(stft, n);
    float *spec = malloc(frames * nb * 2 * sizeof(float)), *pw = calloc(frames * nb * 2, sizeof(float));
    float *noise = malloc((size_t)nb * sizeof(float));
    if (!spec || !pw || !noise)
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory for a %zu-frame spectrum", frames);
    if (s == DRIFT_OK)
        s = drift_stft_forward(stft, x, n, spec);
    if (s == DRIFT_OK) {
        for (size_t i = 0; i < frames * nb; i++)
            pw[i] = spec[2 * i] * spec[2 * i] + spec[2 * i + 1] * spec[2 * i + 1];
        s = quietest_frames_power(pw, frames, nb, noise);
    }
    if (s == DRIFT_OK) {
        float *gain = pw + frames * nb;
        wiener_gains(pw, frames, nb, noise, gain);
        for (size_t i = 0; i < frames * nb; i++)
            spec[2 * i] *= gain[i], spec[2 * i + 1] *= gain[i];
        s = drift_stft_inverse(stft, spec, frames, y, n);
    }
    free(spec);
    free(pw);
    free(noise);
    drift_stft_free(stft);
    return s;
}
