/* jpegio.c: JPEG reading through libjpeg (see jpegio.h).
 *
 * libjpeg reports fatal errors through error_exit, which here longjmps back
 * to the one function that called setjmp; everything the read owns lives
 * in a job struct its caller keeps, so nothing leaks on a corrupt file. */
#include "jpegio.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

typedef struct jpeg_job {
    struct jpeg_error_mgr err; /* first, so the error callbacks find the job */
    jmp_buf jump;
    struct jpeg_decompress_struct cinfo;
    int created;
    const char *path;
    FILE *fp;
    unsigned char *row;
    drift_image img;
    drift_status status;
    char msg[JMSG_LENGTH_MAX]; /* the first error or warning */
} jpeg_job;

int drift_jpeg_signature(const unsigned char *head, size_t n)
{
    return n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF;
}

static void on_jpeg_error(j_common_ptr cinfo)
{
    jpeg_job *job = (jpeg_job *)cinfo->err;
    cinfo->err->format_message(cinfo, job->msg);
    longjmp(job->jump, 1);
}

/* Warnings (level -1) are kept and counted; trace messages are dropped. */
static void on_jpeg_message(j_common_ptr cinfo, int level)
{
    jpeg_job *job = (jpeg_job *)cinfo->err;
    if (level >= 0)
        return;
    if (cinfo->err->num_warnings++ == 0)
        cinfo->err->format_message(cinfo, job->msg);
}

/* Chooses gray or RGB output; fails for CMYK and unknown colour spaces. */
static drift_status choose_output(jpeg_job *job)
{
    switch (job->cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        job->cinfo.out_color_space = JCS_GRAYSCALE;
        return DRIFT_OK;
    case JCS_YCbCr:
    case JCS_RGB:
        job->cinfo.out_color_space = JCS_RGB;
        return DRIFT_OK;
    default:
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "%s: CMYK or unknown JPEG colour space %d",
                          job->path, (int)job->cinfo.jpeg_color_space);
    }
}

/* The body of a read; libjpeg errors longjmp out of it. */
static void read_steps(jpeg_job *job)
{
    struct jpeg_decompress_struct *ci = &job->cinfo;
    jpeg_create_decompress(ci);
    job->created = 1;
    jpeg_stdio_src(ci, job->fp);
    if (jpeg_read_header(ci, TRUE) != JPEG_HEADER_OK) {
        job->status = drift_fail(DRIFT_ERR_FORMAT, "%s: JPEG has no image", job->path);
        return;
    }
    job->status = drift_image_check_size(ci->image_width, ci->image_height, 1, job->path);
    if (job->status == DRIFT_OK)
        job->status = choose_output(job);
    if (job->status != DRIFT_OK)
        return;
    jpeg_start_decompress(ci);
    int channels = ci->output_components;
    job->status = drift_image_alloc(&job->img, (int)ci->output_width, (int)ci->output_height, channels);
    if (job->status != DRIFT_OK)
        return;
    size_t stride = (size_t)ci->output_width * (size_t)channels;
    job->row = malloc(stride);
    if (!job->row) {
        job->status = drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s", job->path);
        return;
    }
    while (ci->output_scanline < ci->output_height) {
        float *out = job->img.data + (size_t)ci->output_scanline * stride;
        JSAMPROW rows[1] = {job->row};
        if (jpeg_read_scanlines(ci, rows, 1) != 1)
            break;
        for (size_t i = 0; i < stride; i++)
            out[i] = (float)job->row[i] / 255.0f;
    }
    jpeg_finish_decompress(ci);
}

static int read_guarded(jpeg_job *job)
{
    if (setjmp(job->jump))
        return 0;
    read_steps(job);
    return 1;
}

drift_status drift_jpeg_read(const char *path, drift_image *img)
{
    memset(img, 0, sizeof *img);
    if (!path || !*path)
        return drift_fail(DRIFT_ERR_ARG, "no JPEG file name given");
    jpeg_job *job = calloc(1, sizeof *job);
    if (!job)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s", path);
    job->path = path;
    job->fp = fopen(path, "rb");
    drift_status s;
    if (!job->fp) {
        s = drift_fail(DRIFT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    } else {
        job->cinfo.err = jpeg_std_error(&job->err);
        job->err.error_exit = on_jpeg_error;
        job->err.emit_message = on_jpeg_message;
        if (!read_guarded(job))
            s = drift_fail(DRIFT_ERR_FORMAT, "%s: corrupt or truncated JPEG: %s", path, job->msg);
        else if (job->status == DRIFT_OK && job->err.num_warnings > 0)
            s = drift_fail(DRIFT_ERR_FORMAT, "%s: damaged JPEG data: %s", path, job->msg);
        else
            s = job->status;
        fclose(job->fp);
    }
    if (job->created)
        jpeg_destroy_decompress(&job->cinfo);
    free(job->row);
    if (s == DRIFT_OK)
        *img = job->img;
    else
        drift_image_free(&job->img);
    free(job);
    return s;
}
