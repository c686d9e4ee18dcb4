/* imgtask.c: image generation and restoration with one model, on
 * feathered tiles (see imgtask.h). */
#include "imgtask.h"
#include "restore.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void drift_imgtask_defaults(drift_imgtask_options *o, drift_imgtask_kind kind)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->method = DRIFT_INVERSE_DDRM; /* RePaint on request: it loses large holes (docs/IMAGES.md) */
    o->sigma = -1;
    o->eta = -1;
    o->scale = 2;
}

int drift_model_image_size(const drift_model *m)
{
    const char *j = m->cfg.task_json, *k = j ? strstr(j, "\"image_size\"") : NULL;
    int size = 0;
    if (k && (k = strchr(k, ':')) != NULL)
        size = atoi(k + 1);
    return size >= 4 && size <= 4096 ? size : 32;
}

/* ---- tiling ------------------------------------------------------------ */

int drift_tiles_count(int length, int tile, int overlap, int unit)
{
    int lu = (length + unit - 1) / unit, su = tile / unit, ou = overlap / unit;
    if (lu <= su || su <= ou)
        return 1;
    return (lu - ou + (su - ou) - 1) / (su - ou);
}

int drift_tiles_corner(int length, int tile, int overlap, int unit, int i)
{
    int n = drift_tiles_count(length, tile, overlap, unit);
    int lu = (length + unit - 1) / unit, su = tile / unit;
    if (n == 1)
        return 0;
    return (int)lround((double)i * (lu - su) / (n - 1)) * unit;
}

/* Feather weight of position i of a tile of side s with overlap o. */
static float feather(int i, int s, int o)
{
    if (o <= 0)
        return 1.0f;
    float w = fminf((float)(i + 1) / (float)(o + 1), (float)(s - i) / (float)(o + 1));
    return fminf(w, 1.0f);
}

typedef struct tiler {
    int c, h, w, tile, overlap;
    const float *fallback;
    float *out, *wsum;
} tiler;

/* Adds tile values v (c, tile, tile) (or the fallback when v[0] is NaN)
 * at corner (x, y) with feathered weights. */
static void blend_tile(tiler *t, const drift_tile *tl, const float *v)
{
    bool skip = isnan(v[0]);
    size_t plane = (size_t)t->h * t->w, tplane = (size_t)t->tile * t->tile;
    for (int j = 0; j < t->tile && tl->y + j < t->h; j++) {
        float wy = feather(j, t->tile, t->overlap);
        for (int i = 0; i < t->tile && tl->x + i < t->w; i++) {
            float wt = wy * feather(i, t->tile, t->overlap);
            size_t p = (size_t)(tl->y + j) * t->w + (tl->x + i);
            t->wsum[p] += wt;
            for (int c = 0; c < t->c; c++) {
                float val = skip ? t->fallback[c * plane + p] : v[c * tplane + (size_t)j * t->tile + i];
                t->out[c * plane + p] += wt * val;
            }
        }
    }
}

drift_status drift_tiles_run(int channels, int height, int width, int tile, int overlap, int unit, int batch,
                             drift_tile_fn fn, void *user, const float *fallback, float *out)
{
    if (tile < 1 || overlap < 0 || overlap >= tile || unit < 1 || tile % unit || batch < 1)
        return drift_fail(DRIFT_ERR_ARG, "bad tiling: tile %d, overlap %d, unit %d, batch %d", tile, overlap, unit,
                          batch);
    size_t plane = (size_t)height * width, tdim = (size_t)channels * tile * tile;
    tiler t = {channels, height, width, tile, overlap, fallback, out, calloc(plane, sizeof(float))};
    float *buf = malloc((size_t)batch * tdim * sizeof(float));
    drift_tile *tiles = malloc((size_t)batch * sizeof *tiles);
    if (!t.wsum || !buf || !tiles) {
        free(t.wsum);
        free(buf);
        free(tiles);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for tiles of %d x %d", tile, tile);
    }
    memset(out, 0, (size_t)channels * plane * sizeof(float));
    int nx = drift_tiles_count(width, tile, overlap, unit), ny = drift_tiles_count(height, tile, overlap, unit);
    long total = (long)nx * ny;
    drift_status s = DRIFT_OK;
    for (long first = 0; first < total && s == DRIFT_OK; first += batch) {
        int n = total - first < batch ? (int)(total - first) : batch;
        for (int k = 0; k < n; k++) {
            long idx = first + k;
            tiles[k].index = idx;
            tiles[k].x = drift_tiles_corner(width, tile, overlap, unit, (int)(idx % nx));
            tiles[k].y = drift_tiles_corner(height, tile, overlap, unit, (int)(idx / nx));
        }
        s = fn(user, n, tiles, buf);
        for (int k = 0; k < n && s == DRIFT_OK; k++) {
            if (isnan(buf[(size_t)k * tdim]) && !fallback)
                s = drift_fail(DRIFT_ERR_ARG, "a tile was skipped but there is no fallback picture");
            else
                blend_tile(&t, &tiles[k], buf + (size_t)k * tdim);
        }
    }
    for (size_t p = 0; p < plane && s == DRIFT_OK; p++)
        for (int c = 0; c < channels; c++)
            out[c * plane + p] /= t.wsum[p];
    free(t.wsum);
    free(buf);
    free(tiles);
    return s;
}

/* ---- noise estimate ---------------------------------------------------- */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static double median(float *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_float);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

drift_status drift_image_estimate_sigma(const drift_image *img, double *sigma)
{
    int bw = img->width / 2, bh = img->height / 2, color = img->channels >= 3 ? 3 : 1;
    if (bw < 1 || bh < 1)
        return drift_fail(DRIFT_ERR_ARG, "cannot estimate the noise of a %d x %d picture", img->width, img->height);
    size_t n = (size_t)bw * bh;
    float *d = malloc(n * sizeof(float)), per[3];
    if (!d)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a noise estimate");
    int ch = img->channels;
    for (int c = 0; c < color; c++) {
        for (int y = 0; y < bh; y++)
            for (int x = 0; x < bw; x++) {
                const float *p = img->data + ((size_t)(2 * y) * img->width + 2 * x) * ch + c;
                const float *q = p + (size_t)img->width * ch;
                d[(size_t)y * bw + x] = fabsf(0.5f * (p[0] - p[ch] - q[0] + q[ch]));
            }
        per[c] = (float)(median(d, n) / 0.6745);
    }
    free(d);
    *sigma = median(per, (size_t)color);
    return DRIFT_OK;
}

/* ---- restoration ------------------------------------------------------- */

typedef struct task_ctx {
    drift_model *m;
    const drift_imgtask_options *o;
    drift_inverse_options io;
    int c, h, w;          /* colour channels and size of the input */
    const float *in;      /* (c, h, w) input colour planes */
    const float *hole;    /* (h, w) inpainting: 1 = fill */
    int f, tile, mc, per_tile;
    drift_model_denoiser *md;
    drift_denoiser d;
    float *y, *keep, *x;  /* (batch * per_tile, mc, tile, tile) */
    float *obs, *known;   /* conditional model: (c, oh, ow) observation and (oh, ow) known share */
    float *cond;          /* (batch * per_tile, mc + 1, tile, tile) */
    uint64_t *streams;
    unsigned char *active; /* (batch) tiles of the current call that are sampled */
    long calls_done, calls_total, tiles_in_run;
} task_ctx;

static int reflect(int i, int n)
{
    if (n == 1)
        return 0;
    int period = 2 * n - 2;
    i = abs(i) % period;
    return i >= n ? period - i : i;
}

static void on_calls(void *user, int call, int total)
{
    task_ctx *t = user;
    if (t->o->progress)
        t->o->progress(t->o->progress_user, t->calls_done + (long)call * t->tiles_in_run, t->calls_total);
}

/* True if the tile at (tx, ty) has a pixel to fill (always, but for inpainting). */
static bool tile_active(const task_ctx *t, const drift_tile *tl)
{
    if (!t->hole)
        return true;
    for (int j = 0; j < t->tile && tl->y + j < t->h; j++)
        for (int i = 0; i < t->tile && tl->x + i < t->w; i++)
            if (t->hole[(size_t)(tl->y + j) * t->w + tl->x + i] > 0.5f)
                return true;
    return false;
}

/* Sample k of the run: the measurement (and keep mask) of colour channel
 * `cc` (-1: all colour channels, as the model's) of tile tl. */
static void fill_sample(task_ctx *t, const drift_tile *tl, int cc, int k)
{
    int side = t->tile / t->f, mdim = t->mc * side * side, tdim = t->mc * t->tile * t->tile;
    float mean = t->m->cfg.data_mean, inv = 1.0f / t->m->cfg.data_std;
    int x0 = tl->x / t->f, y0 = tl->y / t->f;
    for (int c = 0; c < t->mc; c++) {
        int src = cc >= 0 ? cc : (t->c == 1 ? 0 : c);
        for (int j = 0; j < side; j++)
            for (int i = 0; i < side; i++) {
                size_t p = (size_t)reflect(y0 + j, t->h) * t->w + reflect(x0 + i, t->w);
                size_t q = ((size_t)c * side + j) * side + i;
                t->y[(size_t)k * mdim + q] = (t->in[(size_t)src * t->h * t->w + p] - mean) * inv;
                if (t->hole)
                    t->keep[(size_t)k * tdim + q] = t->hole[p] > 0.5f ? 0.0f : 1.0f;
            }
    }
}

/* Writes sample k's result into tile slot `slot` of out. */
static void store_sample(task_ctx *t, int k, int cc, float *tile_out)
{
    size_t tp = (size_t)t->tile * t->tile;
    const float *x = t->x + (size_t)k * t->mc * tp;
    float mean = t->m->cfg.data_mean, std = t->m->cfg.data_std;
    for (size_t p = 0; p < tp; p++) {
        if (cc >= 0) {
            tile_out[(size_t)cc * tp + p] = x[p] * std + mean;
        } else if (t->c == t->mc) {
            for (int c = 0; c < t->c; c++)
                tile_out[(size_t)c * tp + p] = x[(size_t)c * tp + p] * std + mean;
        } else { /* colour model, gray picture: the mean of its channels */
            double v = 0;
            for (int c = 0; c < t->mc; c++)
                v += x[(size_t)c * tp + p];
            tile_out[p] = (float)(v / t->mc * std + mean);
        }
    }
}

static drift_status restore_tiles(void *user, int n, const drift_tile *tiles, float *out)
{
    task_ctx *t = user;
    size_t tdim = (size_t)t->c * t->tile * t->tile;
    int k = 0;
    for (int i = 0; i < n; i++) {
        t->active[i] = tile_active(t, &tiles[i]);
        if (!t->active[i]) {
            out[(size_t)i * tdim] = NAN;
            continue;
        }
        for (int c = 0; c < t->per_tile; c++, k++) {
            fill_sample(t, &tiles[i], t->per_tile > 1 ? c : -1, k);
            t->streams[k] = (uint64_t)tiles[i].index * (uint64_t)t->per_tile + (uint64_t)c;
        }
    }
    long calls = drift_inverse_calls(&t->io);
    t->tiles_in_run = k / t->per_tile;
    drift_status s = DRIFT_OK;
    if (k > 0) {
        drift_inverse_op op = {DRIFT_INVERSE_IDENTITY, t->mc, t->tile, t->tile, t->keep, t->f};
        op.kind = t->o->kind == DRIFT_IMGTASK_UPSCALE ? DRIFT_INVERSE_POOL
                  : t->o->kind == DRIFT_IMGTASK_INPAINT ? DRIFT_INVERSE_MASK
                                                        : DRIFT_INVERSE_IDENTITY;
        s = drift_inverse_solve(&t->m->sched, &t->d, &t->io, &op, k, t->y, t->x);
    }
    k = 0;
    for (int i = 0; i < n && s == DRIFT_OK; i++) {
        if (!t->active[i])
            continue;
        for (int c = 0; c < t->per_tile; c++, k++)
            store_sample(t, k, t->per_tile > 1 ? c : -1, out + (size_t)i * tdim);
    }
    t->calls_done += calls * n;
    if (t->o->progress && s == DRIFT_OK)
        t->o->progress(t->o->progress_user, t->calls_done, t->calls_total);
    return s;
}

/* ---- conditional restoration models (restore.h) ---- */

/* Sample k's conditioning planes: the observation of colour channel cc
 * (-1: all colour channels, as the model's) over tile tl, and the known
 * share of every pixel. */
static void fill_cond(task_ctx *t, const drift_tile *tl, int cc, int k)
{
    int T = t->tile, oh = t->h * t->f, ow = t->w * t->f, planes = DRIFT_RESTORE_COND_PLANES(t->mc);
    size_t tp = (size_t)T * T, oplane = (size_t)oh * ow;
    float *cond = t->cond + (size_t)k * planes * tp;
    for (int j = 0; j < T; j++)
        for (int i = 0; i < T; i++) {
            size_t p = (size_t)reflect(tl->y + j, oh) * ow + reflect(tl->x + i, ow), q = (size_t)j * T + i;
            for (int c = 0; c < t->mc; c++) {
                int src = cc >= 0 ? cc : (t->c == 1 ? 0 : c);
                cond[c * tp + q] = (t->obs[src * oplane + p] - DRIFT_RESTORE_BASE_MEAN) / DRIFT_RESTORE_BASE_STD;
            }
            cond[t->mc * tp + q] = t->known[p];
        }
}

static int cond_steps(const drift_imgtask_options *o)
{
    return o->steps > 0 ? o->steps : DRIFT_IMGTASK_RESTORE_STEPS;
}

static int cond_draws(const drift_imgtask_options *o)
{
    return o->draws > 0 ? o->draws : DRIFT_IMGTASK_RESTORE_DRAWS;
}

static drift_status cond_tiles(void *user, int n, const drift_tile *tiles, float *out)
{
    task_ctx *t = user;
    size_t tdim = (size_t)t->c * t->tile * t->tile, xdim = (size_t)t->mc * t->tile * t->tile;
    int k = 0;
    for (int i = 0; i < n; i++) {
        t->active[i] = tile_active(t, &tiles[i]);
        if (!t->active[i])
            out[(size_t)i * tdim] = NAN;
        for (int c = 0; t->active[i] && c < t->per_tile; c++, k++) {
            fill_cond(t, &tiles[i], t->per_tile > 1 ? c : -1, k);
            t->streams[k] = (uint64_t)tiles[i].index * (uint64_t)t->per_tile + (uint64_t)c;
        }
    }
    drift_status s = DRIFT_OK;
    if (k > 0) {
        drift_sampler_options so;
        drift_sampler_defaults(&so, DRIFT_SAMPLER_DDIM);
        so.steps = cond_steps(t->o);
        so.draws = cond_draws(t->o); /* their mean: the least squared error */
        so.seed = t->o->seed;
        so.streams = t->streams; /* the same bits whatever the tiles per call */
        int spatial[2] = {t->tile, t->tile};
        drift_sample_cond cond = {NULL, NULL, t->cond};
        s = drift_model_sample(t->m, &so, k, spatial, &cond, 0, t->x);
        /* picture = base + residual, in the units store_sample reads */
        float mean = t->m->cfg.data_mean, inv = 1.0f / t->m->cfg.data_std;
        size_t cdim = (size_t)DRIFT_RESTORE_COND_PLANES(t->mc) * t->tile * t->tile; /* base planes first */
        for (size_t p = 0; s == DRIFT_OK && p < (size_t)k * xdim; p++) {
            float base = t->cond[p / xdim * cdim + p % xdim] * DRIFT_RESTORE_BASE_STD + DRIFT_RESTORE_BASE_MEAN;
            t->x[p] = (base + t->x[p] - mean) * inv;
        }
    }
    k = 0;
    for (int i = 0; i < n && s == DRIFT_OK; i++)
        for (int c = 0; t->active[i] && c < t->per_tile; c++, k++)
            store_sample(t, k, t->per_tile > 1 ? c : -1, out + (size_t)i * tdim);
    t->calls_done += (long)cond_steps(t->o) * cond_draws(t->o) * n;
    if (t->o->progress && s == DRIFT_OK)
        t->o->progress(t->o->progress_user, t->calls_done, t->calls_total);
    return s;
}

/* The observation at output resolution and the known share of each pixel. */
static drift_status cond_alloc(task_ctx *t, int batch)
{
    int rows = batch * t->per_tile, oh = t->h * t->f, ow = t->w * t->f;
    size_t tp = (size_t)t->tile * t->tile, oplane = (size_t)oh * ow;
    t->obs = malloc((size_t)t->c * oplane * sizeof(float));
    t->known = malloc(oplane * sizeof(float));
    t->cond = malloc((size_t)rows * DRIFT_RESTORE_COND_PLANES(t->mc) * tp * sizeof(float));
    t->x = malloc((size_t)rows * t->mc * tp * sizeof(float));
    t->active = malloc((size_t)batch);
    t->streams = malloc((size_t)rows * sizeof(uint64_t));
    float *work = t->hole ? malloc(DRIFT_RESTORE_FILL_WORK(t->c, oh, ow) * sizeof(float)) : NULL;
    drift_status s = DRIFT_OK;
    if (!t->obs || !t->known || !t->cond || !t->x || !t->active || !t->streams || (t->hole && !work))
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory for a %d x %d picture", ow, oh);
    else if (t->hole) { /* inpainting: holes filled smoothly from the kept pixels */
        memcpy(t->obs, t->in, (size_t)t->c * oplane * sizeof(float));
        for (size_t p = 0; p < oplane; p++)
            t->known[p] = t->hole[p] > 0.5f ? 0.0f : 1.0f;
        drift_restore_fill(t->c, oh, ow, t->known, drift_restore_model_fill(t->m), 0.5f, t->obs, work);
    } else { /* upscaling: the input interpolated bilinearly */
        drift_restore_upsample(t->c, t->h, t->w, t->f, t->in, t->obs);
        for (size_t p = 0; p < oplane; p++)
            t->known[p] = 1.0f / (float)t->f;
    }
    free(work);
    return s;
}

static drift_status check_task(const drift_model *m, const drift_imgtask_options *o, const drift_image *in, int tile)
{
    const drift_unet_config *u = &m->cfg.unet;
    if (u->dims != 2)
        return drift_fail(DRIFT_ERR_ARG, "this is a %d-D model, not an image model", u->dims);
    if (u->in_channels != 1 && u->in_channels != 3)
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "image models have 1 or 3 channels, this one %d", u->in_channels);
    bool conditional = drift_restore_model(m);
    if (u->cond_channels > 0 && !conditional)
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "the model takes conditioning planes but is not a restoration "
                                                 "model; use an unconditional or a restoration model");
    if (o->draws > 1 && !conditional)
        return drift_fail(DRIFT_ERR_ARG, "averaging %d draws is for restoration models; this model is unconditional",
                          o->draws);
    if (o->draws < 0 || o->draws > DRIFT_SAMPLER_MAX_DRAWS)
        return drift_fail(DRIFT_ERR_ARG, "draws %d is outside 1..%d", o->draws, DRIFT_SAMPLER_MAX_DRAWS);
    if (conditional && o->kind == DRIFT_IMGTASK_DENOISE)
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "this restoration model upscales and inpaints; denoising uses "
                                                 "an unconditional model");
    int div = 1 << (u->n_levels - 1);
    if (tile % div)
        return drift_fail(DRIFT_ERR_ARG, "tile size %d is not a multiple of %d (the model's levels)", tile, div);
    if (o->kind == DRIFT_IMGTASK_UPSCALE && o->scale != 2 && o->scale != 4)
        return drift_fail(DRIFT_ERR_ARG, "scale must be 2 or 4, got %d", o->scale);
    if (o->kind == DRIFT_IMGTASK_UPSCALE && tile % o->scale)
        return drift_fail(DRIFT_ERR_ARG, "tile size %d is not a multiple of the scale %d", tile, o->scale);
    if (o->kind == DRIFT_IMGTASK_INPAINT) {
        if (!o->mask)
            return drift_fail(DRIFT_ERR_ARG, "inpainting needs a mask (white = hole to fill)");
        if (o->mask->width != in->width || o->mask->height != in->height)
            return drift_fail(DRIFT_ERR_ARG, "the mask is %d x %d but the picture is %d x %d", o->mask->width,
                              o->mask->height, in->width, in->height);
        if (o->method == DRIFT_INVERSE_ILVR)
            return drift_fail(DRIFT_ERR_ARG, "inpainting uses repaint or ddrm, not ilvr");
    }
    if (o->kind == DRIFT_IMGTASK_DENOISE && o->method != DRIFT_INVERSE_DDRM)
        return drift_fail(DRIFT_ERR_ARG, "denoising uses ddrm, not %s", drift_inverse_method_name(o->method));
    if (o->kind == DRIFT_IMGTASK_UPSCALE && o->method == DRIFT_INVERSE_REPAINT)
        return drift_fail(DRIFT_ERR_ARG, "upscaling uses ddrm or ilvr, not repaint");
    return DRIFT_OK;
}

/* Planar colour planes (c, h, w) of img, and the hole map of a mask. */
static float *colour_planes(const drift_image *img, int c)
{
    size_t plane = (size_t)img->width * img->height;
    float *p = malloc((size_t)c * plane * sizeof(float) + 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < plane; i++)
        for (int k = 0; k < c; k++)
            p[k * plane + i] = img->data[i * img->channels + k];
    return p;
}

static drift_status hole_map(const drift_image *mask, float **out)
{
    drift_image gray = {0};
    drift_status s = drift_image_convert(mask, 1, &gray);
    *out = gray.data; /* (h, w) */
    return s;
}

/* The output picture from colour planes, with the input's alpha repeated
 * over f x f blocks. */
static drift_status assemble(const drift_image *in, const float *planes, int c, int f, drift_image *out)
{
    drift_status s = drift_image_alloc(out, in->width * f, in->height * f, in->channels);
    if (s != DRIFT_OK)
        return s;
    size_t plane = (size_t)out->width * out->height;
    bool alpha = in->channels == 2 || in->channels == 4;
    for (int y = 0; y < out->height; y++)
        for (int x = 0; x < out->width; x++) {
            size_t p = (size_t)y * out->width + x;
            for (int k = 0; k < c; k++)
                out->data[p * out->channels + k] = planes[k * plane + p];
            if (alpha)
                out->data[p * out->channels + c] =
                    in->data[((size_t)(y / f) * in->width + x / f) * in->channels + c];
        }
    return DRIFT_OK;
}

static drift_status task_alloc(task_ctx *t, int batch)
{
    int rows = batch * t->per_tile, spatial[2] = {t->tile, t->tile};
    size_t tdim = (size_t)t->mc * t->tile * t->tile;
    drift_status s = drift_model_denoiser_create(t->m, spatial, rows, NULL, batch, &t->md, &t->d);
    if (s != DRIFT_OK)
        return s;
    t->y = malloc((size_t)rows * tdim * sizeof(float));
    t->x = malloc((size_t)rows * tdim * sizeof(float));
    t->keep = malloc((size_t)rows * tdim * sizeof(float));
    t->streams = malloc((size_t)rows * sizeof(uint64_t));
    t->active = malloc((size_t)batch);
    if (!t->y || !t->x || !t->keep || !t->streams || !t->active)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for %d tiles of %d x %d", rows, t->tile, t->tile);
    return DRIFT_OK;
}

static void task_free(task_ctx *t)
{
    drift_model_denoiser_free(t->md);
    free(t->y);
    free(t->x);
    free(t->keep);
    free(t->streams);
    free(t->active);
    free(t->obs);
    free(t->known);
    free(t->cond);
    free((float *)t->in);
    free((float *)t->hole);
}

static drift_status inverse_options(task_ctx *t, const drift_image *in)
{
    const drift_imgtask_options *o = t->o;
    drift_inverse_defaults(&t->io, o->method);
    if (o->kind == DRIFT_IMGTASK_DENOISE && o->method == DRIFT_INVERSE_DDRM)
        t->io.steps = DRIFT_IMGTASK_DENOISE_STEPS;
    if (o->steps > 0)
        t->io.steps = o->steps;
    if (o->eta >= 0)
        t->io.eta = o->eta;
    t->io.seed = o->seed;
    t->io.streams = t->streams;
    t->io.progress = on_calls;
    t->io.progress_user = t;
    if (o->kind != DRIFT_IMGTASK_DENOISE)
        return DRIFT_OK;
    double sigma = o->sigma;
    if (sigma < 0) {
        drift_status s = drift_image_estimate_sigma(in, &sigma);
        if (s != DRIFT_OK)
            return s;
    }
    if (!(sigma <= 1) || !isfinite(sigma))
        return drift_fail(DRIFT_ERR_ARG, "noise sigma must be in [0, 1], got %g", sigma);
    /* A gray picture through a colour model is copied to every channel,
     * noise included: along the gray axis (1, 1, 1)/sqrt(3) that noise is
     * sqrt(3) sigma, and the model is told so (the colour axes hold no
     * signal and no noise; the channels are averaged back afterwards). */
    if (t->c == 1 && t->mc == 3)
        sigma *= sqrt(3.0);
    t->io.sigma_y = sigma / t->m->cfg.data_std;
    return DRIFT_OK;
}

drift_status drift_imgtask_run(drift_model *m, const drift_imgtask_options *o, const drift_image *in,
                               drift_image *out)
{
    memset(out, 0, sizeof *out);
    int tile = o->tile > 0 ? o->tile : drift_model_image_size(m);
    int color = in->channels >= 3 ? 3 : 1;
    drift_status s = check_task(m, o, in, tile);
    if (s != DRIFT_OK)
        return s;
    task_ctx t = {0};
    t.m = m;
    t.o = o;
    t.c = color;
    t.h = in->height;
    t.w = in->width;
    t.f = o->kind == DRIFT_IMGTASK_UPSCALE ? o->scale : 1;
    t.tile = tile;
    t.mc = m->cfg.unet.in_channels;
    t.per_tile = t.mc == 1 ? color : 1;
    int batch = o->batch > 0 ? o->batch : 8, overlap = o->overlap > 0 ? o->overlap : tile / 4;
    if (overlap >= tile)
        return drift_fail(DRIFT_ERR_ARG, "overlap %d must be smaller than the tile %d", overlap, tile);
    t.in = colour_planes(in, color);
    if (!t.in)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a %d x %d picture", in->width, in->height);
    if (o->kind == DRIFT_IMGTASK_INPAINT)
        s = hole_map(o->mask, (float **)&t.hole);
    bool conditional = drift_restore_model(m);
    if (s == DRIFT_OK)
        s = conditional ? cond_alloc(&t, batch) : task_alloc(&t, batch);
    if (s == DRIFT_OK && !conditional)
        s = inverse_options(&t, in);
    int oh = in->height * t.f, ow = in->width * t.f;
    float *planes = s == DRIFT_OK ? malloc((size_t)color * oh * ow * sizeof(float)) : NULL;
    if (s == DRIFT_OK && !planes)
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory for a %d x %d picture", ow, oh);
    if (s == DRIFT_OK) {
        long calls = conditional ? (long)cond_steps(o) * cond_draws(o) : drift_inverse_calls(&t.io);
        t.calls_total = calls * drift_tiles_count(ow, tile, overlap, t.f) * drift_tiles_count(oh, tile, overlap, t.f);
        s = drift_tiles_run(color, oh, ow, tile, overlap, t.f, batch, conditional ? cond_tiles : restore_tiles, &t,
                            t.in, planes);
    }
    if (s == DRIFT_OK && conditional) /* kept pixels back, block means to the input's */
        drift_restore_project(color, oh, ow, t.f, t.hole ? t.known : NULL, t.in, planes);
    if (s == DRIFT_OK)
        s = assemble(in, planes, color, t.f, out);
    free(planes);
    task_free(&t);
    return s;
}

/* ---- generation -------------------------------------------------------- */

void drift_generate_defaults(drift_generate_options *o)
{
    memset(o, 0, sizeof *o);
    o->count = 16;
    o->class_id = -1;
    o->guidance = 2.0;
    o->sampler = DRIFT_SAMPLER_DPMPP_2M;
}

typedef struct {
    const drift_generate_options *o;
} gen_progress;

static void on_steps(void *user, int step, int total)
{
    gen_progress *g = user;
    g->o->progress(g->o->progress_user, step, total);
}

static drift_status generate_classes(const drift_model *m, const drift_generate_options *o, int *ids)
{
    int nc = m->cfg.n_classes;
    if (o->class_id >= nc)
        return drift_fail(DRIFT_ERR_ARG, "class %d does not exist: the model has %d classes", o->class_id, nc);
    for (int i = 0; i < o->count; i++)
        ids[i] = o->class_id >= 0 ? o->class_id : (o->class_id == -1 && nc > 0 ? i % nc : -1);
    return DRIFT_OK;
}

drift_status drift_image_generate(drift_model *m, const drift_generate_options *o, drift_image *images)
{
    const drift_unet_config *u = &m->cfg.unet;
    if (u->dims != 2 || (u->in_channels != 1 && u->in_channels != 3))
        return drift_fail(DRIFT_ERR_ARG, "this is not an image model (%d-D, %d channels)", u->dims, u->in_channels);
    if (o->count < 1 || o->count > 4096)
        return drift_fail(DRIFT_ERR_ARG, "count must be in 1..4096, got %d", o->count);
    int size = drift_model_image_size(m), spatial[2] = {size, size};
    size_t dim = drift_model_sample_dim(m, spatial);
    int *ids = malloc((size_t)o->count * sizeof(int));
    float *x = malloc((size_t)o->count * dim * sizeof(float));
    drift_status s = ids && x ? generate_classes(m, o, ids) : drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    drift_sampler_options so;
    drift_sampler_defaults(&so, o->sampler);
    if (o->steps > 0)
        so.steps = o->steps;
    so.seed = o->seed;
    so.guidance = m->cfg.n_classes > 0 && o->class_id != -2 ? o->guidance : 1.0;
    gen_progress gp = {o};
    if (o->progress) {
        so.progress = on_steps;
        so.progress_user = &gp;
    }
    drift_sample_cond cond = {m->cfg.n_classes > 0 ? ids : NULL, NULL, NULL};
    if (s == DRIFT_OK)
        s = drift_model_sample(m, &so, o->count, spatial, &cond, 32, x);
    memset(images, 0, (size_t)o->count * sizeof *images);
    for (int i = 0; i < o->count && s == DRIFT_OK; i++) {
        s = drift_image_alloc(&images[i], size, size, u->in_channels);
        if (s == DRIFT_OK)
            drift_image_from_chw(&images[i], x + (size_t)i * dim);
    }
    if (s != DRIFT_OK)
        for (int i = 0; i < o->count; i++)
            drift_image_free(&images[i]);
    free(ids);
    free(x);
    return s;
}
