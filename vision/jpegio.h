/* jpegio.h: JPEG files through libjpeg (read only).
 *
 * Gray JPEGs give 1 channel, colour (YCbCr or RGB) JPEGs give 3; samples
 * are v / 255. CMYK files are refused as unsupported. libjpeg's warnings
 * (premature end of data, corrupt entropy data) are treated as errors, so
 * a truncated file is refused rather than returned with gray filler. */
#ifndef DRIFT_VISION_JPEGIO_H
#define DRIFT_VISION_JPEGIO_H

#include "image.h"

/* True if the first bytes look like a JPEG start-of-image marker (n >= 3). */
int drift_jpeg_signature(const unsigned char *head, size_t n);

drift_status drift_jpeg_read(const char *path, drift_image *img);

#endif
