/* restore.c: conditioning planes of conditional restoration models, the
 * consistency projection, and training pairs degraded on the fly (see
 * restore.h; the hole filling is fill.c). */
#include "restore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the measurement --------------------------------------------------- */

void drift_restore_upsample(int c, int h, int w, int f, const float *in, float *out)
{
    int W = w * f;
    for (int k = 0; k < c; k++)
        for (int y = 0; y < h * f; y++)
            for (int x = 0; x < W; x++)
                out[((size_t)k * h * f + y) * W + x] =
                    drift_fill_bilinear(in + (size_t)k * h * w, h, w, drift_fill_coarse_pos(y, f),
                                        drift_fill_coarse_pos(x, f));
}

/* Mean of the f x f block (by, bx) of plane u, W pixels wide. */
static float block_mean(const float *u, int W, int f, int by, int bx)
{
    float s = 0;
    for (int j = 0; j < f; j++)
        for (int i = 0; i < f; i++)
            s += u[(size_t)(by * f + j) * W + bx * f + i];
    return s / (float)(f * f);
}

void drift_restore_pool(int c, int h, int w, int f, const float *in, float *out)
{
    size_t n = (size_t)h * f * w * f;
    for (int k = 0; k < c; k++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                out[((size_t)k * h + y) * w + x] = block_mean(in + k * n, w * f, f, y, x);
}

/* Mean of clamp(u + shift, 0, 1) over the f x f block (by, bx) of plane u. */
static float clipped_block_mean(const float *u, int W, int f, int by, int bx, float shift)
{
    float s = 0;
    for (int j = 0; j < f; j++)
        for (int i = 0; i < f; i++)
            s += fminf(fmaxf(u[(size_t)(by * f + j) * W + bx * f + i] + shift, 0.0f), 1.0f);
    return s / (float)(f * f);
}

/* The shift that moves block (by, bx) of u to mean m in [0, 1] and keeps
 * it in [0, 1] once clamped: the plain difference of means when nothing
 * leaves the range, else found by bisection (the clamped mean rises with
 * the shift, from 0 to 1). */
static float block_shift(const float *u, int W, int f, int by, int bx, float m)
{
    float lo = INFINITY, hi = -INFINITY;
    for (int j = 0; j < f; j++)
        for (int i = 0; i < f; i++) {
            float v = u[(size_t)(by * f + j) * W + bx * f + i];
            lo = fminf(lo, v), hi = fmaxf(hi, v);
        }
    float shift = m - block_mean(u, W, f, by, bx);
    if (lo + shift >= 0 && hi + shift <= 1)
        return shift;
    float a = -hi, b = 1 - lo; /* clamped means 0 and 1 */
    for (int it = 0; it < 40 && b - a > 1e-7f; it++) {
        float mid = 0.5f * (a + b);
        if (clipped_block_mean(u, W, f, by, bx, mid) < m)
            a = mid;
        else
            b = mid;
    }
    return 0.5f * (a + b);
}

void drift_restore_project(int c, int H, int W, int f, const float *known, const float *y, float *x)
{
    size_t n = (size_t)H * W;
    if (known) {
        for (int k = 0; k < c; k++)
            for (size_t p = 0; p < n; p++)
                if (known[p] > 0.5f)
                    x[k * n + p] = y[k * n + p];
        return;
    }
    int h = H / f, w = W / f;
    for (int k = 0; k < c; k++)
        for (int by = 0; by < h; by++)
            for (int bx = 0; bx < w; bx++) {
                float m = fminf(fmaxf(y[((size_t)k * h + by) * w + bx], 0.0f), 1.0f);
                float shift = block_shift(x + k * n, W, f, by, bx, m);
                for (int j = 0; j < f; j++)
                    for (int i = 0; i < f; i++) {
                        float *v = x + k * n + (size_t)(by * f + j) * W + bx * f + i;
                        *v = fminf(fmaxf(*v + shift, 0.0f), 1.0f);
                    }
            }
}

drift_restore_fill_kind drift_restore_model_fill(const drift_model *m)
{
    const char *j = m->cfg.task_json;
    for (int k = DRIFT_RESTORE_FILL_BIHARMONIC; j && k <= DRIFT_RESTORE_FILL_TENSION; k++) {
        char key[48];
        snprintf(key, sizeof key, "\"fill\":\"%s\"", drift_restore_fill_name((drift_restore_fill_kind)k));
        if (strstr(j, key))
            return (drift_restore_fill_kind)k;
    }
    return DRIFT_RESTORE_FILL_HARMONIC;
}

bool drift_restore_model(const drift_model *m)
{
    const char *j = m->cfg.task_json;
    const drift_unet_config *u = &m->cfg.unet;
    return j && strstr(j, "\"restore\":1") && u->cond_channels == DRIFT_RESTORE_COND_PLANES(u->in_channels);
}

/* ---- training pairs ----------------------------------------------------- */

drift_status drift_restore_source_init(drift_restore_source *src, const drift_picture_set *set, int size,
                                       bool flips, drift_restore_fill_kind fill)
{
    int c = set->channels, ctx = 2 * size;
    for (int i = 0; i < set->count; i++)
        if (set->width[i] < ctx || set->height[i] < ctx)
            return drift_fail(DRIFT_ERR_ARG, "picture %d is %d x %d; restoration training needs at least %d x %d",
                              i, set->width[i], set->height[i], ctx, ctx);
    /* context values (c, ctx, ctx), known map (ctx, ctx), fill work, observation (c, size, size) */
    size_t n = (size_t)ctx * ctx;
    *src = (drift_restore_source){set, size, flips, fill, NULL};
    src->work = malloc(((size_t)c * n + n + DRIFT_RESTORE_FILL_WORK(c, ctx, ctx) + (size_t)c * size * size) * sizeof(float));
    return src->work ? DRIFT_OK : drift_fail(DRIFT_ERR_NOMEM, "out of memory for restoration pairs");
}

void drift_restore_source_free(drift_restore_source *src)
{
    free(src->work);
    src->work = NULL;
}

/* Marks a random rectangle of side 4 .. ctx - 8 as hole. */
static void cut_rectangle(drift_rng *rng, int ctx, float *known)
{
    int rw = 4 + (int)drift_rng_below(rng, (uint32_t)(ctx - 11)), rh = 4 + (int)drift_rng_below(rng, (uint32_t)(ctx - 11));
    int x0 = (int)drift_rng_below(rng, (uint32_t)(ctx - rw + 1)), y0 = (int)drift_rng_below(rng, (uint32_t)(ctx - rh + 1));
    for (int y = y0; y < y0 + rh; y++)
        for (int x = x0; x < x0 + rw; x++)
            known[(size_t)y * ctx + x] = 0;
}

/* One pair: the context around a random crop of a random picture, degraded
 * at random, into x0 (c, n, n) the crop and cond (c + 1, n, n) the base and
 * the known share, in [0, 1] units. */
static void make_pair(drift_restore_source *src, drift_rng *rng, float *x0, float *cond)
{
    const drift_picture_set *set = src->set;
    int n = src->size, ctx = 2 * n, c = set->channels, off = n / 2;
    size_t cn = (size_t)ctx * ctx, nn = (size_t)n * n;
    float *v = src->work, *known = v + (size_t)c * cn, *work = known + cn, *obs = work + DRIFT_RESTORE_FILL_WORK(c, ctx, ctx);
    int k = (int)drift_rng_below(rng, (uint32_t)set->count), w = set->width[k], h = set->height[k];
    int cx = (int)drift_rng_below(rng, (uint32_t)(w - ctx + 1)), cy = (int)drift_rng_below(rng, (uint32_t)(h - ctx + 1));
    bool flip = src->flips && (drift_rng_u32(rng) & 1);
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < ctx; y++) {
            const unsigned char *row = set->pixels[k] + ((size_t)ch * h + cy + y) * w + cx;
            for (int x = 0; x < ctx; x++)
                v[ch * cn + (size_t)y * ctx + x] = row[flip ? ctx - 1 - x : x] * (1.0f / 255.0f);
        }
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < n; y++)
            memcpy(x0 + ch * nn + (size_t)y * n, v + ch * cn + (size_t)(off + y) * ctx + off, n * sizeof(float));
    double kind = drift_rng_uniform(rng);
    float *code = cond + (size_t)c * nn;
    if (kind < 0.6) { /* upscaling by 4 or 2 */
        int f = kind < 0.3 ? 4 : 2;
        drift_restore_pool(c, n / f, n / f, f, x0, obs);
        drift_restore_upsample(c, n / f, n / f, f, obs, cond);
        for (size_t p = 0; p < nn; p++)
            code[p] = 1.0f / (float)f;
        return;
    }
    if (kind < 0.85) { /* random pixels kept */
        float keep = 0.3f + 0.4f * (float)drift_rng_uniform(rng);
        for (size_t p = 0; p < cn; p++)
            known[p] = drift_rng_uniform(rng) < keep ? 1.0f : 0.0f;
    } else { /* one to three rectangular holes */
        for (size_t p = 0; p < cn; p++)
            known[p] = 1;
        int holes = 1 + (int)drift_rng_below(rng, 3);
        for (int i = 0; i < holes; i++)
            cut_rectangle(rng, ctx, known);
    }
    drift_restore_fill(c, ctx, ctx, known, src->fill, 0.5f, v, work);
    for (int ch = 0; ch <= c; ch++) {
        const float *from = ch < c ? v + ch * cn : known;
        for (int y = 0; y < n; y++)
            memcpy(cond + ch * nn + (size_t)y * n, from + (size_t)(off + y) * ctx + off, n * sizeof(float));
    }
}

static drift_status fill_pairs(void *user, int64_t step, drift_rng *rng, drift_batch *b)
{
    (void)step;
    drift_restore_source *src = user;
    int n = src->size, c = src->set->channels;
    size_t dim = (size_t)c * n * n, edim = (size_t)DRIFT_RESTORE_COND_PLANES(c) * n * n;
    if (b->dim != dim || b->extra_dim != edim)
        return drift_fail(DRIFT_ERR_SHAPE, "the model wants %zu + %zu values per sample, restoration pairs have "
                          "%zu + %zu", b->dim, b->extra_dim, dim, edim);
    for (int i = 0; i < b->size; i++) {
        float *x0 = b->x0 + (size_t)i * dim, *cond = b->extra + (size_t)i * edim;
        make_pair(src, rng, x0, cond);
        for (size_t p = 0; p < dim; p++) {
            x0[p] = (x0[p] - cond[p]) / DRIFT_RESTORE_RESIDUAL_STD;
            cond[p] = (cond[p] - DRIFT_RESTORE_BASE_MEAN) / DRIFT_RESTORE_BASE_STD;
        }
    }
    return DRIFT_OK;
}

drift_data_source drift_restore_source_data(drift_restore_source *src)
{
    drift_data_source d = {fill_pairs, src};
    return d;
}
