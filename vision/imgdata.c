/* imgdata.c: image data sets as training data (see imgdata.h). */
#include "imgdata.h"
#include "idx.h"

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
