/* pngio.c: PNG reading and writing through libpng (see pngio.h).
 *
 * libpng reports errors by longjmp. Every resource of a read or write lives
 * in a job struct owned by the caller of the one small function that calls
 * setjmp, so after a longjmp the caller still sees every pointer and frees
 * it: a corrupt file never leaks. */
#include "pngio.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* zlib level for written files: on a 512x512 photograph, 3 writes about
 * twice as fast as zlib's default 6 for a file about 8% larger. */
#define DRIFT_PNG_ZLIB_LEVEL 3

typedef struct png_job {
    const char *path;
    FILE *fp;
    png_structp png;
    png_infop info;
    unsigned char *bytes; /* the whole picture as stored: rows of rowbytes */
    png_bytep *rows;
    drift_image img;      /* the result while reading */
    drift_status status;  /* set by steps that fail without longjmp */
    char msg[200];        /* libpng's message */
} png_job;

int drift_png_signature(const unsigned char *head, size_t n)
{
    return n >= 8 && png_sig_cmp(head, 0, 8) == 0;
}

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_job *job = png_get_error_ptr(png);
    snprintf(job->msg, sizeof job->msg, "%s", msg ? msg : "unknown libpng error");
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

static void job_free(png_job *job, int reading)
{
    if (job->png) {
        if (reading)
            png_destroy_read_struct(&job->png, job->info ? &job->info : NULL, NULL);
        else
            png_destroy_write_struct(&job->png, job->info ? &job->info : NULL);
    }
    free(job->rows);
    free(job->bytes);
    job->rows = NULL;
    job->bytes = NULL;
}

/* Points job->rows at the rows of job->bytes (allocated here). */
static int make_rows(png_job *job, size_t height, size_t rowbytes)
{
    job->bytes = malloc(height * rowbytes);
    job->rows = malloc(height * sizeof *job->rows);
    if (!job->bytes || !job->rows)
        return 0;
    for (size_t y = 0; y < height; y++)
        job->rows[y] = job->bytes + y * rowbytes;
    return 1;
}

/* Asks libpng to deliver 8- or 16-bit gray, GA, RGB or RGBA samples. */
static void set_read_transforms(png_structp png, png_infop info)
{
    int type = png_get_color_type(png, info);
    if (type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

/* Stored samples (big-endian when 16-bit) -> floats in [0, 1]. */
static void bytes_to_floats(const unsigned char *b, float *out, size_t n, int depth)
{
    if (depth == 16) {
        for (size_t i = 0; i < n; i++)
            out[i] = (float)((b[2 * i] << 8) | b[2 * i + 1]) / 65535.0f;
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = (float)b[i] / 255.0f;
    }
}

/* The body of a read; libpng errors longjmp out of it. */
static void read_steps(png_job *job)
{
    png_init_io(job->png, job->fp);
    png_set_sig_bytes(job->png, 8);
    png_set_user_limits(job->png, 0x7fffffff, 0x7fffffff); /* drift's own limit applies */
    png_read_info(job->png, job->info);
    png_uint_32 w = png_get_image_width(job->png, job->info);
    png_uint_32 h = png_get_image_height(job->png, job->info);
    job->status = drift_image_check_size(w, h, 1, job->path);
    if (job->status != DRIFT_OK)
        return;
    set_read_transforms(job->png, job->info);
    int channels = png_get_channels(job->png, job->info);
    int depth = png_get_bit_depth(job->png, job->info);
    size_t rowbytes = png_get_rowbytes(job->png, job->info);
    if ((depth != 8 && depth != 16) || rowbytes != (size_t)w * (size_t)channels * (size_t)depth / 8) {
        job->status = drift_fail(DRIFT_ERR_FORMAT, "%s: unexpected PNG layout (%d-bit, %d channels)",
                                 job->path, depth, channels);
        return;
    }
    job->status = drift_image_alloc(&job->img, (int)w, (int)h, channels);
    if (job->status != DRIFT_OK)
        return;
    if (!make_rows(job, h, rowbytes)) {
        job->status = drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s", job->path);
        return;
    }
    png_read_image(job->png, job->rows);
    png_read_end(job->png, NULL);
    bytes_to_floats(job->bytes, job->img.data, drift_image_samples(&job->img), depth);
}

static int read_guarded(png_job *job)
{
    if (setjmp(png_jmpbuf(job->png)))
        return 0;
    read_steps(job);
    return 1;
}

/* Opens the file and checks the signature; fills job->fp. */
static drift_status open_png(png_job *job)
{
    job->fp = fopen(job->path, "rb");
    if (!job->fp)
        return drift_fail(DRIFT_ERR_IO, "cannot open %s: %s", job->path, strerror(errno));
    unsigned char head[8];
    size_t n = fread(head, 1, 8, job->fp);
    if (!drift_png_signature(head, n))
        return drift_fail(DRIFT_ERR_FORMAT, "%s is not a PNG file (bad signature)", job->path);
    job->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job, on_png_error, on_png_warning);
    job->info = job->png ? png_create_info_struct(job->png) : NULL;
    if (!job->info)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s", job->path);
    return DRIFT_OK;
}

drift_status drift_png_read(const char *path, drift_image *img)
{
    memset(img, 0, sizeof *img);
    if (!path || !*path)
        return drift_fail(DRIFT_ERR_ARG, "no PNG file name given");
    png_job job;
    memset(&job, 0, sizeof job);
    job.path = path;
    drift_status s = open_png(&job);
    if (s == DRIFT_OK && !read_guarded(&job))
        s = drift_fail(DRIFT_ERR_FORMAT, "%s: corrupt or truncated PNG: %s", path, job.msg);
    else if (s == DRIFT_OK)
        s = job.status;
    job_free(&job, 1);
    if (job.fp)
        fclose(job.fp);
    if (s != DRIFT_OK)
        drift_image_free(&job.img);
    else
        *img = job.img;
    return s;
}

/* floats -> stored samples: clamped, rounded, big-endian when 16-bit. */
static void floats_to_bytes(const float *in, unsigned char *b, size_t n, int depth)
{
    float scale = depth == 16 ? 65535.0f : 255.0f;
    for (size_t i = 0; i < n; i++) {
        float v = in[i];
        v = isnan(v) ? 0.0f : v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        unsigned q = (unsigned)lrintf(v * scale);
        if (depth == 16) {
            b[2 * i] = (unsigned char)(q >> 8);
            b[2 * i + 1] = (unsigned char)(q & 0xff);
        } else {
            b[i] = (unsigned char)q;
        }
    }
}

static const int png_color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                       PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};

static int write_guarded(png_job *job, const drift_image *img, int depth)
{
    if (setjmp(png_jmpbuf(job->png)))
        return 0;
    png_init_io(job->png, job->fp);
    png_set_IHDR(job->png, job->info, (png_uint_32)img->width, (png_uint_32)img->height, depth,
                 png_color_types[img->channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(job->png, DRIFT_PNG_ZLIB_LEVEL);
    png_write_info(job->png, job->info);
    png_write_image(job->png, job->rows);
    png_write_end(job->png, NULL);
    return 1;
}

static drift_status check_write_args(const char *path, const drift_image *img, int depth)
{
    if (!path || !*path)
        return drift_fail(DRIFT_ERR_ARG, "no PNG file name given");
    if (!img || !img->data)
        return drift_fail(DRIFT_ERR_ARG, "%s: no image to write", path);
    if (depth != 8 && depth != 16)
        return drift_fail(DRIFT_ERR_ARG, "%s: PNG bit depth must be 8 or 16, got %d", path, depth);
    return drift_image_check_size(img->width, img->height, img->channels, path);
}

drift_status drift_png_write(const char *path, const drift_image *img, int bit_depth)
{
    drift_status s = check_write_args(path, img, bit_depth);
    if (s != DRIFT_OK)
        return s;
    png_job job;
    memset(&job, 0, sizeof job);
    job.path = path;
    size_t rowbytes = (size_t)img->width * (size_t)img->channels * (size_t)bit_depth / 8;
    if (!make_rows(&job, (size_t)img->height, rowbytes)) {
        job_free(&job, 0);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory writing %s", path);
    }
    floats_to_bytes(img->data, job.bytes, drift_image_samples(img), bit_depth);
    drift_atomic_file f;
    s = drift_atomic_open(&f, path);
    if (s == DRIFT_OK) {
        job.fp = f.fp;
        job.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &job, on_png_error, on_png_warning);
        job.info = job.png ? png_create_info_struct(job.png) : NULL;
        if (!job.info)
            s = drift_fail(DRIFT_ERR_NOMEM, "out of memory writing %s", path);
        else if (!write_guarded(&job, img, bit_depth))
            s = drift_fail(DRIFT_ERR_IO, "cannot write %s: %s", path, job.msg);
        if (s == DRIFT_OK)
            s = drift_atomic_commit(&f);
        else
            drift_atomic_abort(&f);
    }
    job_free(&job, 0);
    return s;
}
