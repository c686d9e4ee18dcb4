/* imgdata.h: image data sets for training: Fashion-MNIST from Debian's
 * dataset-fashion-mnist, served to the trainer as a drift_data_source
 * (shuffled per epoch from the training seed, so a resumed run sees the
 * same batches). */
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

#endif
