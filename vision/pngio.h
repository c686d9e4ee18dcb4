/* pngio.h: PNG files through libpng.
 *
 * Reading accepts every PNG colour type and bit depth: gray (1, 2, 4, 8,
 * 16 bit), gray + alpha, RGB, RGBA, palette (expanded to RGB, or RGBA when
 * the file has a transparency chunk), tRNS on gray/RGB (becomes an alpha
 * channel) and Adam7-interlaced files. 16-bit samples become v / 65535,
 * all others v / (2^depth - 1). Gamma and colour-profile chunks are
 * ignored: samples are returned as stored.
 *
 * Writing makes 8- or 16-bit files of the image's channel count, values
 * clamped to [0, 1] (NaN as 0) and rounded to the nearest level; the file
 * appears atomically (core/fileio.h). */
#ifndef DRIFT_VISION_PNGIO_H
#define DRIFT_VISION_PNGIO_H

#include "image.h"

/* True if the first bytes look like a PNG signature (n >= 8). */
int drift_png_signature(const unsigned char *head, size_t n);

drift_status drift_png_read(const char *path, drift_image *img);

/* bit_depth: 8 or 16. */
drift_status drift_png_write(const char *path, const drift_image *img, int bit_depth);

#endif
