/* metrics.c: PSNR and SSIM (see metrics.h). */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SSIM_RADIUS 5 /* int(3.5 * 1.5 + 0.5) */
#define SSIM_TAPS (2 * SSIM_RADIUS + 1)
#define SSIM_SIGMA 1.5
#define SSIM_K1 0.01
#define SSIM_K2 0.03
#define N_MOMENTS 5 /* x, y, x*x, y*y, x*y */

drift_status drift_psnr(const float *a, const float *b, size_t n, double data_range, double *psnr)
{
    if (!a || !b || n == 0 || !psnr)
        return drift_fail(DRIFT_ERR_ARG, "PSNR needs two non-empty inputs");
    if (!(data_range > 0) || !isfinite(data_range))
        return drift_fail(DRIFT_ERR_ARG, "PSNR data range must be > 0, got %g", data_range);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        sum += d * d;
    }
    double mse = sum / (double)n;
    if (isnan(mse))
        return drift_fail(DRIFT_ERR_NUMERIC, "PSNR of inputs with NaN or infinite values");
    *psnr = mse > 0 ? 10.0 * log10(data_range * data_range / mse) : INFINITY;
    return DRIFT_OK;
}

static void gaussian_taps(double w[SSIM_TAPS])
{
    double sum = 0;
    for (int i = 0; i < SSIM_TAPS; i++) {
        double x = i - SSIM_RADIUS;
        w[i] = exp(-0.5 * x * x / (SSIM_SIGMA * SSIM_SIGMA));
        sum += w[i];
    }
    for (int i = 0; i < SSIM_TAPS; i++)
        w[i] /= sum;
}

/* One channel's SSIM computation, shared by the worker threads. */
typedef struct ssim_job {
    const float *a, *b; /* (H,W,C) */
    int width, height, channels, c;
    double w[SSIM_TAPS];
    double c1, c2;
    double *rows[N_MOMENTS]; /* horizontal pass: (H, W - 2 radius) each */
    double *row_sums;        /* SSIM summed over each valid row: (H - 2 radius) */
} ssim_job;

/* Horizontal pass over rows [y0, y1): the five moments x, y, x^2, y^2, xy
 * of channel c filtered along x, for the columns where the window fits. */
static void filter_rows(void *ctx, size_t y0, size_t y1)
{
    ssim_job *j = ctx;
    size_t ow = (size_t)(j->width - 2 * SSIM_RADIUS), ch = (size_t)j->channels;
    for (size_t y = y0; y < y1; y++) {
        for (size_t x = 0; x < ow; x++) {
            double acc[N_MOMENTS] = {0};
            const float *pa = j->a + (y * (size_t)j->width + x) * ch + (size_t)j->c;
            const float *pb = j->b + (y * (size_t)j->width + x) * ch + (size_t)j->c;
            for (int k = 0; k < SSIM_TAPS; k++) {
                double va = pa[(size_t)k * ch], vb = pb[(size_t)k * ch], wk = j->w[k];
                acc[0] += wk * va;
                acc[1] += wk * vb;
                acc[2] += wk * va * va;
                acc[3] += wk * vb * vb;
                acc[4] += wk * va * vb;
            }
            for (int m = 0; m < N_MOMENTS; m++)
                j->rows[m][y * ow + x] = acc[m];
        }
    }
}

/* SSIM at one pixel from the five filtered moments. */
static double ssim_at(const double mu[N_MOMENTS], double c1, double c2)
{
    double ux = mu[0], uy = mu[1];
    double vx = mu[2] - ux * ux, vy = mu[3] - uy * uy, vxy = mu[4] - ux * uy;
    return ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
}

/* Vertical pass over valid rows [y0, y1): row_sums[y] = sum of SSIM in row y. */
static void ssim_rows(void *ctx, size_t y0, size_t y1)
{
    ssim_job *j = ctx;
    size_t ow = (size_t)(j->width - 2 * SSIM_RADIUS);
    for (size_t y = y0; y < y1; y++) {
        double total = 0;
        for (size_t x = 0; x < ow; x++) {
            double mu[N_MOMENTS];
            for (int m = 0; m < N_MOMENTS; m++) {
                double acc = 0;
                for (int k = 0; k < SSIM_TAPS; k++)
                    acc += j->w[k] * j->rows[m][(y + (size_t)k) * ow + x];
                mu[m] = acc;
            }
            total += ssim_at(mu, j->c1, j->c2);
        }
        j->row_sums[y] = total;
    }
}

static drift_status check_ssim_args(const float *a, const float *b, int width, int height,
                                    int channels, double data_range)
{
    if (!a || !b)
        return drift_fail(DRIFT_ERR_ARG, "SSIM needs two images");
    if (width < SSIM_TAPS || height < SSIM_TAPS)
        return drift_fail(DRIFT_ERR_ARG, "SSIM needs images of at least %dx%d, got %dx%d", SSIM_TAPS,
                          SSIM_TAPS, width, height);
    if (channels < 1 || (long long)width * height > (long long)DRIFT_IMAGE_MAX_PIXELS)
        return drift_fail(DRIFT_ERR_ARG, "SSIM: bad image size %dx%dx%d", width, height, channels);
    if (!(data_range > 0) || !isfinite(data_range))
        return drift_fail(DRIFT_ERR_ARG, "SSIM data range must be > 0, got %g", data_range);
    return DRIFT_OK;
}

/* Mean SSIM of channel j->c. Row sums are added in order, so the result
 * does not depend on the thread count. */
static double channel_ssim(ssim_job *j)
{
    size_t oh = (size_t)(j->height - 2 * SSIM_RADIUS), ow = (size_t)(j->width - 2 * SSIM_RADIUS);
    drift_parallel_for((size_t)j->height, 16, filter_rows, j);
    drift_parallel_for(oh, 16, ssim_rows, j);
    double total = 0;
    for (size_t y = 0; y < oh; y++)
        total += j->row_sums[y];
    return total / ((double)ow * (double)oh);
}

drift_status drift_ssim(const float *a, const float *b, int width, int height, int channels,
                        double data_range, double *ssim)
{
    drift_status s = check_ssim_args(a, b, width, height, channels, data_range);
    if (s != DRIFT_OK)
        return s;
    size_t plane = (size_t)(width - 2 * SSIM_RADIUS) * (size_t)height;
    double *buf = malloc((plane * N_MOMENTS + (size_t)height) * sizeof(double));
    if (!buf)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for SSIM of %dx%d images", width, height);
    ssim_job j = {.a = a, .b = b, .width = width, .height = height, .channels = channels};
    for (int m = 0; m < N_MOMENTS; m++)
        j.rows[m] = buf + (size_t)m * plane;
    j.row_sums = buf + N_MOMENTS * plane;
    gaussian_taps(j.w);
    j.c1 = (SSIM_K1 * data_range) * (SSIM_K1 * data_range);
    j.c2 = (SSIM_K2 * data_range) * (SSIM_K2 * data_range);
    double total = 0;
    for (j.c = 0; j.c < channels; j.c++)
        total += channel_ssim(&j);
    free(buf);
    *ssim = total / channels;
    if (isnan(*ssim))
        return drift_fail(DRIFT_ERR_NUMERIC, "SSIM of images with NaN or infinite values");
    return DRIFT_OK;
}

static drift_status check_pair(const drift_image *a, const drift_image *b, const char *what)
{
    if (!a || !b || !a->data || !b->data)
        return drift_fail(DRIFT_ERR_ARG, "%s needs two images", what);
    if (a->width != b->width || a->height != b->height || a->channels != b->channels)
        return drift_fail(DRIFT_ERR_SHAPE, "%s of a %dx%dx%d and a %dx%dx%d image", what, a->width,
                          a->height, a->channels, b->width, b->height, b->channels);
    return DRIFT_OK;
}

drift_status drift_image_psnr(const drift_image *a, const drift_image *b, double data_range,
                              double *psnr)
{
    drift_status s = check_pair(a, b, "PSNR");
    return s != DRIFT_OK ? s : drift_psnr(a->data, b->data, drift_image_samples(a), data_range, psnr);
}

drift_status drift_image_ssim(const drift_image *a, const drift_image *b, double data_range,
                              double *ssim)
{
    drift_status s = check_pair(a, b, "SSIM");
    return s != DRIFT_OK ? s
                         : drift_ssim(a->data, b->data, a->width, a->height, a->channels, data_range, ssim);
}
