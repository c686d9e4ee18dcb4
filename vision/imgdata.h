/* imgdata.h: image data sets for training, served to the trainer as a
 * drift_data_source: Fashion-MNIST from Debian's dataset-fashion-mnist
 * (shuffled per epoch from the training seed, so a resumed run sees the
 * same batches), and any folder of the user's pictures (random crops at
 * the model's size with random flips, drawn from each step's own random
 * stream, so a resumed run sees the same crops). */
#ifndef DRIFT_VISION_IMGDATA_H
#define DRIFT_VISION_IMGDATA_H

#include "drift.h"

#define DRIFT_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

typedef struct drift_image_set {
    int count, channels, height, width;
    float *data;  /* (count, channels, height, width), samples in [0, 1]; owned */
    int *labels;  /* (count) or NULL; owned */
    int n_classes;
} drift_image_set;

/* The training (train = true) or test split from dir (NULL: Debian's
 * folder), padded to pad_to x pad_to (0 keeps 28 x 28); at most `limit`
 * images (0 = all). */
drift_status drift_image_set_fashion_mnist(const char *dir, bool train, int pad_to, int limit,
                                           drift_image_set *out);
void drift_image_set_free(drift_image_set *s);

typedef struct drift_image_source {
    const drift_image_set *set;
    uint64_t seed;
    float mean, std;  /* the network sees (x - mean) / std */
    bool flips;       /* random horizontal flips */
    bool labels;      /* pass class labels to the trainer */
    uint32_t *perm;   /* this epoch's order */
    int64_t perm_epoch;
} drift_image_source;

drift_status drift_image_source_init(drift_image_source *src, const drift_image_set *set, uint64_t seed,
                                     float mean, float std, bool flips, bool labels);
void drift_image_source_free(drift_image_source *src);
drift_data_source drift_image_source_data(drift_image_source *src);

/* ---- a folder of pictures --------------------------------------------- */

/* Every PNG/JPEG under a folder, in memory as 8-bit samples, planar
 * (channels, height, width) per picture. */
typedef struct drift_picture_set {
    int count, channels;
    int *width, *height;
    unsigned char **pixels; /* count pictures; owned */
} drift_picture_set;

/* Loads the pictures under dir (recursively, in sorted order), converted
 * to `channels` (1 or 3). Pictures larger than max_side on a side are
 * shrunk by the smallest whole factor that fits (box averaging), so crops
 * show structure rather than flat areas of huge photos; pictures then
 * smaller than min_side on a side are skipped. Fails when no picture is
 * left, naming the folder. */
drift_status drift_picture_set_load(const char *dir, int channels, int max_side, int min_side,
                                    drift_picture_set *out);
void drift_picture_set_free(drift_picture_set *s);

typedef struct drift_crop_source {
    const drift_picture_set *set;
    int size;        /* crops are size x size */
    float mean, std; /* the network sees (x - mean) / std */
    bool flips;      /* random horizontal flips */
} drift_crop_source;

/* Each sample: a picture drawn uniformly, a uniform crop position, a flip. */
drift_data_source drift_crop_source_data(drift_crop_source *src);

#endif
