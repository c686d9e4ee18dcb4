/* image.c: the drift_image type, layout conversions and format dispatch
 * (see image.h). */
#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jpegio.h"
#include "pngio.h"

drift_status drift_image_check_size(long long width, long long height, int channels, const char *what)
{
    if (channels < 1 || channels > 4)
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "%s: %d channels (drift images have 1 to 4)", what,
                          channels);
    if (width < 1 || height < 1)
        return drift_fail(DRIFT_ERR_FORMAT, "%s: empty picture (%lldx%lld pixels)", what, width,
                          height);
    if (width > (long long)DRIFT_IMAGE_MAX_PIXELS || height > (long long)DRIFT_IMAGE_MAX_PIXELS ||
        (unsigned long long)width * (unsigned long long)height > DRIFT_IMAGE_MAX_PIXELS)
        return drift_fail(DRIFT_ERR_FORMAT,
                          "%s: %lldx%lld pixels is more than drift's limit of %zu pixels", what,
                          width, height, DRIFT_IMAGE_MAX_PIXELS);
    return DRIFT_OK;
}

drift_status drift_image_alloc(drift_image *img, int width, int height, int channels)
{
    memset(img, 0, sizeof *img);
    drift_status s = drift_image_check_size(width, height, channels, "new image");
    if (s != DRIFT_OK)
        return s;
    size_t n = (size_t)width * (size_t)height * (size_t)channels;
    img->data = calloc(n, sizeof(float));
    if (!img->data)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a %dx%d image with %d channels",
                          width, height, channels);
    img->width = width;
    img->height = height;
    img->channels = channels;
    return DRIFT_OK;
}

void drift_image_free(drift_image *img)
{
    if (!img)
        return;
    free(img->data);
    memset(img, 0, sizeof *img);
}

size_t drift_image_samples(const drift_image *img)
{
    return (size_t)img->width * (size_t)img->height * (size_t)img->channels;
}

/* Copies between interleaved and planar order; to_chw picks the direction. */
static void transpose_layout(float *inter, float *planar, size_t pixels, int channels, int to_chw)
{
    for (int c = 0; c < channels; c++) {
        float *p = planar + (size_t)c * pixels;
        for (size_t i = 0; i < pixels; i++) {
            if (to_chw)
                p[i] = inter[i * (size_t)channels + (size_t)c];
            else
                inter[i * (size_t)channels + (size_t)c] = p[i];
        }
    }
}

/* img (H,W,C) interleaved -> chw (C,H,W) */
void drift_image_to_chw(const drift_image *img, float *chw)
{
    transpose_layout(img->data, chw, (size_t)img->width * (size_t)img->height, img->channels, 1);
}

/* chw (C,H,W) -> img (H,W,C) interleaved */
void drift_image_from_chw(drift_image *img, const float *chw)
{
    transpose_layout(img->data, (float *)chw, (size_t)img->width * (size_t)img->height,
                     img->channels, 0);
}

/* One pixel from sc to dc channels (see drift_image_convert). */
static void convert_pixel(const float *in, int sc, float *out, int dc)
{
    int s_color = sc >= 3 ? 3 : 1, d_color = dc >= 3 ? 3 : 1;
    int s_alpha = sc == 2 || sc == 4, d_alpha = dc == 2 || dc == 4;
    if (s_color == d_color) {
        for (int c = 0; c < d_color; c++)
            out[c] = in[c];
    } else if (d_color == 1) {
        out[0] = 0.2126f * in[0] + 0.7152f * in[1] + 0.0722f * in[2];
    } else {
        out[0] = out[1] = out[2] = in[0];
    }
    if (d_alpha)
        out[d_color] = s_alpha ? in[s_color] : 1.0f;
}

/* src (H,W,sc) -> dst (H,W,channels) */
drift_status drift_image_convert(const drift_image *src, int channels, drift_image *dst)
{
    if (!src || !src->data || !dst)
        return drift_fail(DRIFT_ERR_ARG, "drift_image_convert: no image given");
    if (channels < 1 || channels > 4)
        return drift_fail(DRIFT_ERR_ARG, "drift_image_convert: %d channels (1 to 4 allowed)",
                          channels);
    drift_status s = drift_image_alloc(dst, src->width, src->height, channels);
    if (s != DRIFT_OK)
        return s;
    size_t pixels = (size_t)src->width * (size_t)src->height;
    for (size_t i = 0; i < pixels; i++)
        convert_pixel(src->data + i * (size_t)src->channels, src->channels,
                      dst->data + i * (size_t)channels, channels);
    return DRIFT_OK;
}

drift_status drift_image_read(const char *path, drift_image *img)
{
    memset(img, 0, sizeof *img);
    if (!path || !*path)
        return drift_fail(DRIFT_ERR_ARG, "no image file name given");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return drift_fail(DRIFT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return drift_fail(DRIFT_ERR_IO, "%s is not a regular file", path);
    }
    unsigned char head[8] = {0};
    size_t n = fread(head, 1, sizeof head, fp);
    fclose(fp);
    if (drift_png_signature(head, n))
        return drift_png_read(path, img);
    if (drift_jpeg_signature(head, n))
        return drift_jpeg_read(path, img);
    return drift_fail(DRIFT_ERR_FORMAT, "%s is neither a PNG nor a JPEG file", path);
}
