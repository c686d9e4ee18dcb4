/* imgdata.c: image data sets as training data (see imgdata.h). */
#include "imgdata.h"
#include "idx.h"
#include "image.h"
#include "imagedir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

drift_status drift_image_set_fashion_mnist(const char *dir, bool train, int pad_to, int limit,
                                           drift_image_set *out)
{
    memset(out, 0, sizeof *out);
    if (!dir)
        dir = DRIFT_FASHION_MNIST_DIR;
    char ipath[1024], lpath[1024];
    const char *split = train ? "train" : "t10k";
    snprintf(ipath, sizeof ipath, "%s/%s-images-idx3-ubyte.gz", dir, split);
    snprintf(lpath, sizeof lpath, "%s/%s-labels-idx1-ubyte.gz", dir, split);
    drift_idx_images im;
    drift_idx_labels lb;
    drift_status s = drift_idx_read_images(ipath, pad_to, &im);
    if (s != DRIFT_OK)
        return s;
    s = drift_idx_read_labels(lpath, &lb);
    if (s != DRIFT_OK) {
        drift_idx_images_free(&im);
        return s;
    }
    if (lb.count != im.count) {
        drift_idx_images_free(&im);
        drift_idx_labels_free(&lb);
        return drift_fail(DRIFT_ERR_FORMAT, "%s has %d labels for %d images", lpath, lb.count, im.count);
    }
    out->count = limit > 0 && limit < im.count ? limit : im.count;
    out->channels = 1;
    out->height = im.height;
    out->width = im.width;
    out->data = im.data; /* (count, h, w) is (count, 1, h, w) */
    out->labels = lb.labels;
    out->n_classes = 10;
    return DRIFT_OK;
}

void drift_image_set_free(drift_image_set *s)
{
    free(s->data);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

drift_status drift_image_source_init(drift_image_source *src, const drift_image_set *set, uint64_t seed,
                                     float mean, float std, bool flips, bool labels)
{
    memset(src, 0, sizeof *src);
    if (set->count < 1)
        return drift_fail(DRIFT_ERR_ARG, "the image set is empty");
    src->set = set;
    src->seed = seed;
    src->mean = mean;
    src->std = std;
    src->flips = flips;
    src->labels = labels && set->labels;
    src->perm_epoch = -1;
    src->perm = malloc((size_t)set->count * sizeof *src->perm);
    if (!src->perm)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for an image order");
    return DRIFT_OK;
}

void drift_image_source_free(drift_image_source *src)
{
    free(src->perm);
    src->perm = NULL;
}

static void order_epoch(drift_image_source *src, int64_t epoch)
{
    drift_rng r;
    drift_rng_init(&r, src->seed, 0x6f726465720000ull + (uint64_t)epoch);
    for (int i = 0; i < src->set->count; i++)
        src->perm[i] = (uint32_t)i;
    drift_rng_shuffle(&r, src->perm, (size_t)src->set->count);
    src->perm_epoch = epoch;
}

static drift_status fill(void *user, int64_t step, drift_rng *rng, drift_batch *b)
{
    drift_image_source *src = user;
    const drift_image_set *set = src->set;
    size_t dim = (size_t)set->channels * set->height * set->width;
    if (b->dim != dim)
        return drift_fail(DRIFT_ERR_SHAPE, "the model wants %zu values per sample, the images have %zu", b->dim, dim);
    float scale = 1.0f / src->std;
    for (int i = 0; i < b->size; i++) {
        int64_t g = step * b->size + i, epoch = g / set->count;
        if (epoch != src->perm_epoch)
            order_epoch(src, epoch);
        int idx = (int)src->perm[g % set->count];
        const float *in = set->data + (size_t)idx * dim;
        float *out = b->x0 + (size_t)i * dim;
        bool flip = src->flips && (drift_rng_u32(rng) & 1);
        for (int c = 0; c < set->channels; c++)
            for (int y = 0; y < set->height; y++)
                for (int x = 0; x < set->width; x++) {
                    size_t row = ((size_t)c * set->height + y) * set->width;
                    out[row + x] = (in[row + (flip ? set->width - 1 - x : x)] - src->mean) * scale;
                }
        if (src->labels)
            b->class_ids[i] = set->labels[idx];
    }
    return DRIFT_OK;
}

drift_data_source drift_image_source_data(drift_image_source *src)
{
    drift_data_source d = {fill, src};
    return d;
}

/* ---- a folder of pictures ---------------------------------------------- */

/* Box-shrinks img by factor k and stores it planar as 8-bit samples. */
static unsigned char *shrink_planar(const drift_image *img, int k, int *w, int *h)
{
    *w = img->width / k;
    *h = img->height / k;
    int c = img->channels;
    unsigned char *p = malloc((size_t)c * (size_t)*w * (size_t)*h);
    if (!p)
        return NULL;
    double inv = 1.0 / ((double)k * k);
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < *h; y++)
            for (int x = 0; x < *w; x++) {
                double sum = 0;
                for (int j = 0; j < k; j++)
                    for (int i = 0; i < k; i++)
                        sum += img->data[((size_t)(y * k + j) * img->width + x * k + i) * c + ch];
                double v = sum * inv * 255.0 + 0.5;
                p[((size_t)ch * *h + y) * *w + x] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    return p;
}

static drift_status add_picture(drift_picture_set *s, const char *path, int max_side, int min_side)
{
    drift_image raw = {0}, img = {0};
    drift_status st = drift_image_read(path, &raw);
    if (st == DRIFT_OK)
        st = drift_image_convert(&raw, s->channels, &img);
    drift_image_free(&raw);
    if (st != DRIFT_OK)
        return st;
    int side = img.width > img.height ? img.width : img.height;
    int k = max_side > 0 && side > max_side ? (side + max_side - 1) / max_side : 1, w, h;
    if (img.width / k >= min_side && img.height / k >= min_side) {
        unsigned char *p = shrink_planar(&img, k, &w, &h);
        if (!p) {
            drift_image_free(&img);
            return drift_fail(DRIFT_ERR_NOMEM, "out of memory for %s", path);
        }
        s->width[s->count] = w;
        s->height[s->count] = h;
        s->pixels[s->count++] = p;
    }
    drift_image_free(&img);
    return DRIFT_OK;
}

drift_status drift_picture_set_load(const char *dir, int channels, int max_side, int min_side,
                                    drift_picture_set *out)
{
    memset(out, 0, sizeof *out);
    if (channels != 1 && channels != 3)
        return drift_fail(DRIFT_ERR_ARG, "pictures for training have 1 or 3 channels, not %d", channels);
    drift_path_list list;
    drift_status st = drift_image_list(dir, &list);
    if (st != DRIFT_OK)
        return st;
    out->channels = channels;
    out->width = calloc(list.count + 1, sizeof(int));
    out->height = calloc(list.count + 1, sizeof(int));
    out->pixels = calloc(list.count + 1, sizeof(unsigned char *));
    if (!out->width || !out->height || !out->pixels)
        st = drift_fail(DRIFT_ERR_NOMEM, "out of memory for %zu pictures", list.count);
    char path[4096];
    for (size_t i = 0; i < list.count && st == DRIFT_OK; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, list.paths[i]);
        st = add_picture(out, path, max_side, min_side);
    }
    drift_path_list_free(&list);
    if (st == DRIFT_OK && out->count == 0)
        st = drift_fail(DRIFT_ERR_ARG, "no PNG or JPEG picture of at least %d x %d under %s", min_side, min_side,
                        dir);
    if (st != DRIFT_OK)
        drift_picture_set_free(out);
    return st;
}

void drift_picture_set_free(drift_picture_set *s)
{
    for (int i = 0; i < s->count; i++)
        free(s->pixels[i]);
    free(s->pixels);
    free(s->width);
    free(s->height);
    memset(s, 0, sizeof *s);
}

static drift_status fill_crops(void *user, int64_t step, drift_rng *rng, drift_batch *b)
{
    (void)step;
    drift_crop_source *src = user;
    const drift_picture_set *set = src->set;
    int n = src->size, c = set->channels;
    size_t dim = (size_t)c * n * n;
    if (b->dim != dim)
        return drift_fail(DRIFT_ERR_SHAPE, "the model wants %zu values per sample, the crops have %zu", b->dim, dim);
    float scale = 1.0f / (255.0f * src->std), shift = src->mean / src->std;
    for (int i = 0; i < b->size; i++) {
        int k = (int)drift_rng_below(rng, (uint32_t)set->count), w = set->width[k], h = set->height[k];
        int x0 = (int)drift_rng_below(rng, (uint32_t)(w - n + 1)), y0 = (int)drift_rng_below(rng, (uint32_t)(h - n + 1));
        bool flip = src->flips && (drift_rng_u32(rng) & 1);
        float *out = b->x0 + (size_t)i * dim;
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < n; y++) {
                const unsigned char *row = set->pixels[k] + ((size_t)ch * h + y0 + y) * w + x0;
                for (int x = 0; x < n; x++)
                    out[((size_t)ch * n + y) * n + x] = row[flip ? n - 1 - x : x] * scale - shift;
            }
    }
    return DRIFT_OK;
}

drift_data_source drift_crop_source_data(drift_crop_source *src)
{
    drift_data_source d = {fill_crops, src};
    return d;
}
