/* image.h: drift's in-memory picture and reading pictures from files.
 *
 * A drift_image holds float samples in [0, 1], INTERLEAVED: sample c of the
 * pixel at column x, row y is data[((size_t)y * width + x) * channels + c],
 * with row 0 at the top, as in PNG and JPEG files. channels is 1 (gray),
 * 2 (gray + alpha), 3 (RGB) or 4 (RGBA). Alpha is straight (not
 * premultiplied) and is carried through reads, conversions and writes
 * untouched. Tensors use planar (C,H,W) order: drift_image_to_chw and
 * drift_image_from_chw convert.
 *
 * Readers refuse pictures of more than DRIFT_IMAGE_MAX_PIXELS pixels before
 * allocating anything, so a corrupt or hostile header cannot make drift
 * allocate terabytes. */
#ifndef DRIFT_VISION_IMAGE_H
#define DRIFT_VISION_IMAGE_H

#include <stddef.h>

#include "drift.h"

/* 2^28 pixels (16384 x 16384): the largest picture drift reads or makes. */
#define DRIFT_IMAGE_MAX_PIXELS ((size_t)1 << 28)

typedef struct drift_image {
    int width, height, channels;
    float *data; /* width * height * channels samples, interleaved; owned */
} drift_image;

/* Allocates a zeroed image. Fails on sizes < 1, channels outside 1..4 or
 * more than DRIFT_IMAGE_MAX_PIXELS pixels. *img is left empty on failure. */
drift_status drift_image_alloc(drift_image *img, int width, int height, int channels);
void drift_image_free(drift_image *img);

/* width * height * channels. */
size_t drift_image_samples(const drift_image *img);

/* Checks width/height/channels against the limits above; `what` names the
 * source (a file name) in the message. */
drift_status drift_image_check_size(long long width, long long height, int channels, const char *what);

/* Interleaved image -> planar chw[c * H * W + y * W + x] (C,H,W) and back.
 * from_chw needs an allocated image of the right size. */
void drift_image_to_chw(const drift_image *img, float *chw);
void drift_image_from_chw(drift_image *img, const float *chw);

/* A copy of src with `channels` channels: gray <-> RGB (luma weights
 * 0.2126, 0.7152, 0.0722 on the stored values), alpha kept when both have
 * it, dropped when the target has none, added as 1 (opaque) otherwise. */
drift_status drift_image_convert(const drift_image *src, int channels, drift_image *dst);

/* Reads a PNG or JPEG file, chosen by its first bytes (not its name). */
drift_status drift_image_read(const char *path, drift_image *img);

#endif
