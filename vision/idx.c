/* idx.c: IDX data-set files through zlib (see idx.h). */
#include "idx.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "image.h"

#define IDX_UBYTE 0x08

/* What the header promised: ndim dimensions and the data size in bytes. */
typedef struct idx_header {
    int ndim;
    uint32_t dims[3];
    size_t bytes;
    size_t file_bytes; /* header + data */
} idx_header;

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Reads exactly n bytes; on failure says why (truncated or corrupt). */
static drift_status read_exact(gzFile gz, const char *path, void *buf, size_t n, const char *what)
{
    size_t got = 0;
    while (got < n) {
        unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
        int r = gzread(gz, (unsigned char *)buf + got, chunk);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got == n)
        return DRIFT_OK;
    int err = 0;
    const char *msg = gzerror(gz, &err);
    return drift_fail(DRIFT_ERR_FORMAT, "%s: truncated or corrupt IDX file: %s has %zu of %zu bytes%s%s",
                      path, what, got, n, err ? ": " : "", err ? msg : "");
}

/* The uncompressed length the file should have, as far as can be known
 * before decompressing: a plain file's size, or a gzip file's trailer
 * (ISIZE, the length modulo 2^32). Fails if it disagrees with h. */
static drift_status check_length(const char *path, const idx_header *h)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return drift_fail(DRIFT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    unsigned char head[2] = {0}, tail[4] = {0};
    struct stat st;
    int ok = fstat(fileno(fp), &st) == 0 && fread(head, 1, 2, fp) == 2;
    int gz = head[0] == 0x1f && head[1] == 0x8b;
    if (ok && gz)
        ok = st.st_size >= 18 && fseek(fp, -4, SEEK_END) == 0 && fread(tail, 1, 4, fp) == 4;
    fclose(fp);
    if (!ok)
        return drift_fail(DRIFT_ERR_FORMAT, "%s: cannot check the file's length", path);
    uint64_t have = gz ? ((uint64_t)tail[3] << 24 | (uint64_t)tail[2] << 16 | (uint64_t)tail[1] << 8 | tail[0])
                       : (uint64_t)st.st_size;
    uint64_t want = gz ? (uint64_t)h->file_bytes & 0xffffffffu : (uint64_t)h->file_bytes;
    if (have != want)
        return drift_fail(DRIFT_ERR_FORMAT,
                          "%s: the IDX header promises %zu bytes but the file holds %llu%s", path,
                          h->file_bytes, (unsigned long long)have, gz ? " (gzip trailer)" : "");
    return DRIFT_OK;
}

/* Reads and checks the header of a ubyte IDX file with `ndim` dimensions. */
static drift_status read_header(gzFile gz, const char *path, int ndim, idx_header *h)
{
    unsigned char b[4 + 4 * 3];
    drift_status s = read_exact(gz, path, b, 4 + 4 * (size_t)ndim, "the header");
    if (s != DRIFT_OK)
        return s;
    if (b[0] != 0 || b[1] != 0)
        return drift_fail(DRIFT_ERR_FORMAT, "%s is not an IDX file (bad magic %02x %02x)", path, b[0], b[1]);
    if (b[2] != IDX_UBYTE)
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "%s: IDX data type 0x%02x (drift reads unsigned bytes, 0x08)",
                          path, b[2]);
    if (b[3] != ndim)
        return drift_fail(DRIFT_ERR_FORMAT, "%s: %d dimensions, expected %d", path, b[3], ndim);
    h->ndim = ndim;
    h->bytes = 1;
    for (int d = 0; d < ndim; d++) {
        h->dims[d] = be32(b + 4 + 4 * d);
        if (h->dims[d] < 1 || h->dims[d] > DRIFT_IDX_MAX_BYTES ||
            (h->bytes *= h->dims[d]) > DRIFT_IDX_MAX_BYTES)
            return drift_fail(DRIFT_ERR_FORMAT, "%s: bad IDX dimension %d = %u (data limit %zu bytes)",
                              path, d, h->dims[d], DRIFT_IDX_MAX_BYTES);
    }
    h->file_bytes = 4 + 4 * (size_t)ndim + h->bytes;
    return check_length(path, h);
}

/* Reads a whole ubyte IDX file into *data (malloc'd). */
static drift_status read_idx(const char *path, int ndim, idx_header *h, unsigned char **data)
{
    *data = NULL;
    if (!path || !*path)
        return drift_fail(DRIFT_ERR_ARG, "no IDX file name given");
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return drift_fail(DRIFT_ERR_IO, "cannot open %s: %s", path, strerror(errno ? errno : ENOMEM));
    drift_status s = read_header(gz, path, ndim, h);
    if (s == DRIFT_OK && !(*data = malloc(h->bytes)))
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s (%zu bytes)", path, h->bytes);
    if (s == DRIFT_OK)
        s = read_exact(gz, path, *data, h->bytes, "the data");
    unsigned char extra;
    if (s == DRIFT_OK && gzread(gz, &extra, 1) != 0)
        s = drift_fail(DRIFT_ERR_FORMAT, "%s: unexpected bytes after the IDX data (or a corrupt gzip stream)", path);
    gzclose(gz);
    if (s != DRIFT_OK) {
        free(*data);
        *data = NULL;
    }
    return s;
}

/* bytes (count,h,w) -> out (count,size,size) centred, or (count,h,w) when size is 0. */
static void bytes_to_images(const unsigned char *b, const idx_header *h, int size, float *out)
{
    size_t hh = h->dims[1], ww = h->dims[2];
    size_t oh = size ? (size_t)size : hh, ow = size ? (size_t)size : ww;
    size_t y0 = (oh - hh) / 2, x0 = (ow - ww) / 2;
    for (size_t n = 0; n < h->dims[0]; n++)
        for (size_t y = 0; y < hh; y++)
            for (size_t x = 0; x < ww; x++)
                out[(n * oh + y + y0) * ow + x + x0] = (float)b[(n * hh + y) * ww + x] / 255.0f;
}

drift_status drift_idx_read_images(const char *path, int pad_to, drift_idx_images *out)
{
    memset(out, 0, sizeof *out);
    idx_header h;
    unsigned char *bytes;
    drift_status s = read_idx(path, 3, &h, &bytes);
    if (s != DRIFT_OK)
        return s;
    int oh = pad_to ? pad_to : (int)h.dims[1], ow = pad_to ? pad_to : (int)h.dims[2];
    if (pad_to && (pad_to < (int)h.dims[1] || pad_to < (int)h.dims[2] || pad_to > 16384))
        s = drift_fail(DRIFT_ERR_ARG, "%s: cannot pad %ux%u images to %d x %d", path, h.dims[1],
                       h.dims[2], pad_to, pad_to);
    else
        s = drift_image_check_size(ow, oh, 1, path);
    size_t n = (size_t)h.dims[0] * (size_t)oh * (size_t)ow;
    if (s == DRIFT_OK && !(out->data = calloc(n, sizeof(float))))
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory for %u images from %s", h.dims[0], path);
    if (s == DRIFT_OK) {
        bytes_to_images(bytes, &h, pad_to, out->data);
        out->count = (int)h.dims[0];
        out->height = oh;
        out->width = ow;
    }
    free(bytes);
    return s;
}

void drift_idx_images_free(drift_idx_images *im)
{
    if (!im)
        return;
    free(im->data);
    memset(im, 0, sizeof *im);
}

drift_status drift_idx_read_labels(const char *path, drift_idx_labels *out)
{
    memset(out, 0, sizeof *out);
    idx_header h;
    unsigned char *bytes;
    drift_status s = read_idx(path, 1, &h, &bytes);
    if (s != DRIFT_OK)
        return s;
    out->labels = malloc(h.bytes * sizeof(int));
    if (!out->labels) {
        free(bytes);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for labels from %s", path);
    }
    for (size_t i = 0; i < h.bytes; i++)
        out->labels[i] = bytes[i];
    out->count = (int)h.bytes;
    free(bytes);
    return DRIFT_OK;
}

void drift_idx_labels_free(drift_idx_labels *lb)
{
    if (!lb)
        return;
    free(lb->labels);
    memset(lb, 0, sizeof *lb);
}

const char *drift_fashion_mnist_class(int label)
{
    static const char *const names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    return label >= 0 && label < 10 ? names[label] : NULL;
}
