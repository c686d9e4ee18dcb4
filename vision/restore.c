/* restore.c: conditioning planes of conditional restoration models, the
 * consistency projection, and training pairs degraded on the fly (see
 * restore.h). */
#include "restore.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- bilinear interpolation -------------------------------------------- */

/* The plane u (h, w) at position (fy, fx) in its pixel units, clamped. */
static float bilinear_at(const float *u, int h, int w, float fy, float fx)
{
    fy = fminf(fmaxf(fy, 0.0f), (float)(h - 1));
    fx = fminf(fmaxf(fx, 0.0f), (float)(w - 1));
    int y0 = (int)fy, x0 = (int)fx, y1 = y0 + 1 < h ? y0 + 1 : y0, x1 = x0 + 1 < w ? x0 + 1 : x0;
    float ty = fy - (float)y0, tx = fx - (float)x0;
    float top = u[(size_t)y0 * w + x0] * (1 - tx) + u[(size_t)y0 * w + x1] * tx;
    float bottom = u[(size_t)y1 * w + x0] * (1 - tx) + u[(size_t)y1 * w + x1] * tx;
    return top * (1 - ty) + bottom * ty;
}

/* Position in a plane shrunk by f of pixel i of the full plane (centres aligned). */
static float coarse_pos(int i, int f)
{
    return ((float)i + 0.5f) / (float)f - 0.5f;
}

/* ---- push-pull hole filling ------------------------------------------- */

/* Graph Laplacian of plane u (h, w) at (y, x): the sum of (neighbour -
 * centre) over the 4-neighbours inside the plane. */
static float laplacian(const float *u, int h, int w, int y, int x)
{
    size_t p = (size_t)y * w + x;
    float s = 0;
    if (y > 0)
        s += u[p - w] - u[p];
    if (y + 1 < h)
        s += u[p + w] - u[p];
    if (x > 0)
        s += u[p - 1] - u[p];
    if (x + 1 < w)
        s += u[p + 1] - u[p];
    return s;
}

static int degree(int h, int w, int y, int x)
{
    return (y > 0) + (y + 1 < h) + (x > 0) + (x + 1 < w);
}

/* Gauss-Seidel sweeps of the biharmonic equation (the Laplacian squared
 * is 0) over the pixels with free[p] set: each moves to where its own
 * term of the squared Laplacian's sum is smallest, the smooth fill that
 * continues gradients as well as values into a hole. */
static void biharmonic_sweeps(int c, int h, int w, const unsigned char *free, float *v, int sweeps)
{
    size_t n = (size_t)h * w;
    for (int it = 0; it < sweeps; it++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t p = (size_t)y * w + x;
                if (!free[p])
                    continue;
                int d = degree(h, w, y, x);
                float diag = (float)(d * d + d);
                for (int k = 0; k < c; k++) {
                    float *u = v + k * n, lp = laplacian(u, h, w, y, x), bi = -(float)d * lp;
                    if (y > 0)
                        bi += laplacian(u, h, w, y - 1, x);
                    if (y + 1 < h)
                        bi += laplacian(u, h, w, y + 1, x);
                    if (x > 0)
                        bi += laplacian(u, h, w, y, x - 1);
                    if (x + 1 < w)
                        bi += laplacian(u, h, w, y, x + 1);
                    u[p] -= bi / diag;
                }
            }
}

/* One pyramid level: values v (c, h, w) with weights a (h, w) in [0, 1].
 * Averages (weighted) into the next level, recurses while anything is
 * uncovered, and fills each pixel's missing weight from the coarser
 * level, bilinearly interpolated. */
static void push_pull(int c, int h, int w, float *v, float *a, float empty, int sweeps, float *work)
{
    size_t n = (size_t)h * w;
    bool covered = true;
    for (size_t p = 0; p < n && covered; p++)
        covered = a[p] >= 1.0f;
    if (covered)
        return;
    if (n == 1) { /* nothing known anywhere */
        for (int k = 0; k < c; k++)
            v[k] = a[0] > 0 ? v[k] : empty;
        a[0] = 1;
        return;
    }
    int h2 = (h + 1) / 2, w2 = (w + 1) / 2;
    size_t n2 = (size_t)h2 * w2;
    float *v2 = work, *a2 = v2 + (size_t)c * n2;
    for (int y = 0; y < h2; y++)
        for (int x = 0; x < w2; x++) {
            float s = 0, acc[8] = {0};
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int yy = 2 * y + dy, xx = 2 * x + dx;
                    if (yy >= h || xx >= w)
                        continue;
                    size_t p = (size_t)yy * w + xx;
                    s += a[p];
                    for (int k = 0; k < c; k++)
                        acc[k] += a[p] * v[k * n + p];
                }
            size_t q = (size_t)y * w2 + x;
            for (int k = 0; k < c; k++)
                v2[k * n2 + q] = s > 0 ? acc[k] / s : 0;
            a2[q] = fminf(s, 1.0f);
        }
    push_pull(c, h2, w2, v2, a2, empty, sweeps, a2 + n2);
    /* the coarser levels are done with the work area past this level's */
    unsigned char *free_px = sweeps > 0 ? (unsigned char *)(a2 + n2) : NULL;
    for (size_t p = 0; free_px && p < n; p++)
        free_px[p] = a[p] <= 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t p = (size_t)y * w + x;
            if (a[p] >= 1.0f)
                continue;
            for (int k = 0; k < c; k++)
                v[k * n + p] = a[p] * v[k * n + p] +
                               (1 - a[p]) * bilinear_at(v2 + k * n2, h2, w2, coarse_pos(y, 2), coarse_pos(x, 2));
            a[p] = 1;
        }
    if (free_px)
        biharmonic_sweeps(c, h, w, free_px, v, sweeps);
}

/* Gauss-Seidel sweeps of Laplace's equation over the holes: every hole
 * pixel becomes the mean of its 4 neighbours (edges clamped). */
static void relax(int c, int h, int w, const float *known, float *planes, int sweeps)
{
    size_t n = (size_t)h * w;
    for (int it = 0; it < sweeps; it++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t p = (size_t)y * w + x;
                if (known[p] > 0.5f)
                    continue;
                size_t up = y > 0 ? p - w : p, down = y + 1 < h ? p + w : p;
                size_t left = x > 0 ? p - 1 : p, right = x + 1 < w ? p + 1 : p;
                for (int k = 0; k < c; k++) {
                    float *v = planes + k * n;
                    v[p] = 0.25f * (v[up] + v[down] + v[left] + v[right]);
                }
            }
}

void drift_restore_fill(int c, int h, int w, const float *known, drift_restore_fill_kind kind, float empty,
                        float *planes, float *work)
{
    size_t n = (size_t)h * w;
    float *a = work;
    bool any = false;
    for (size_t p = 0; p < n; p++) {
        a[p] = known[p] > 0.5f ? 1.0f : 0.0f;
        any |= a[p] > 0;
    }
    bool bi = kind == DRIFT_RESTORE_FILL_BIHARMONIC;
    push_pull(c, h, w, planes, a, empty, bi ? DRIFT_RESTORE_BIHARMONIC_SWEEPS : 0, a + n);
    if (any && !bi)
        relax(c, h, w, known, planes, DRIFT_RESTORE_FILL_SWEEPS);
}

/* ---- the measurement --------------------------------------------------- */

void drift_restore_upsample(int c, int h, int w, int f, const float *in, float *out)
{
    int W = w * f;
    for (int k = 0; k < c; k++)
        for (int y = 0; y < h * f; y++)
            for (int x = 0; x < W; x++)
                out[((size_t)k * h * f + y) * W + x] =
                    bilinear_at(in + (size_t)k * h * w, h, w, coarse_pos(y, f), coarse_pos(x, f));
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

const char *drift_restore_fill_name(drift_restore_fill_kind kind)
{
    return kind == DRIFT_RESTORE_FILL_BIHARMONIC ? "biharmonic" : "harmonic";
}

drift_status drift_restore_fill_parse(const char *name, drift_restore_fill_kind *out)
{
    if (!strcmp(name, "harmonic"))
        *out = DRIFT_RESTORE_FILL_HARMONIC;
    else if (!strcmp(name, "biharmonic"))
        *out = DRIFT_RESTORE_FILL_BIHARMONIC;
    else
        return drift_fail(DRIFT_ERR_ARG, "fill '%s' is not harmonic or biharmonic", name);
    return DRIFT_OK;
}

drift_restore_fill_kind drift_restore_model_fill(const drift_model *m)
{
    const char *j = m->cfg.task_json;
    return j && strstr(j, "\"fill\":\"biharmonic\"") ? DRIFT_RESTORE_FILL_BIHARMONIC : DRIFT_RESTORE_FILL_HARMONIC;
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
    src->work = malloc(((size_t)c * n + n + 2 * (size_t)(c + 1) * n + (size_t)c * size * size) * sizeof(float));
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
    float *v = src->work, *known = v + (size_t)c * cn, *work = known + cn, *obs = work + 2 * (size_t)(c + 1) * cn;
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
