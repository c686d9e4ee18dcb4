/* idx.h: the IDX files of MNIST-style data sets, such as Debian's
 * dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/
 * {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz), read through zlib, so
 * gzip-compressed and plain files both work.
 *
 * An IDX file is a big-endian header (two zero bytes, a type byte, the
 * number of dimensions, then one u32 per dimension) followed by the data.
 * drift reads unsigned-byte files (type 0x08) with 3 dimensions (images:
 * count, height, width) or 1 (labels). Every header field is checked: the
 * magic, the type, each dimension (>= 1), the data size (at most
 * DRIFT_IDX_MAX_BYTES) against the file's length (a plain file's size, or
 * a gzip file's trailer, before anything is allocated), and after reading
 * that the data is complete and nothing follows it. A truncated or corrupt
 * .gz file is an error naming the file. */
#ifndef DRIFT_VISION_IDX_H
#define DRIFT_VISION_IDX_H

#include "drift.h"

#define DRIFT_IDX_MAX_BYTES ((size_t)1 << 30)

typedef struct drift_idx_images {
    int count, height, width;
    float *data; /* count x height x width, [n][y][x], byte / 255 in [0, 1]; owned */
} drift_idx_images;

typedef struct drift_idx_labels {
    int count;
    int *labels; /* count values 0..255; owned */
} drift_idx_labels;

/* Reads an idx3 image file. pad_to = 0 keeps the stored size; pad_to >=
 * height and width pads every image with zeros to pad_to x pad_to, centred
 * (28 x 28 -> 32 x 32 puts the picture at rows and columns 2..29). */
drift_status drift_idx_read_images(const char *path, int pad_to, drift_idx_images *out);
void drift_idx_images_free(drift_idx_images *im);

/* Reads an idx1 label file. */
drift_status drift_idx_read_labels(const char *path, drift_idx_labels *out);
void drift_idx_labels_free(drift_idx_labels *lb);

/* Fashion-MNIST's class names ("T-shirt/top", "Trouser", ..., "Ankle boot")
 * for labels 0..9; NULL otherwise. */
const char *drift_fashion_mnist_class(int label);

#endif
