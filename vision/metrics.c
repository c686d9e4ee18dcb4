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

/* Horizontal pass: rows[m][y * ow + x] for x in the valid columns
 * (ow = width - 2 * radius) of moment m of channel c. a, b: (H,W,C). */
static void filter_rows(const float *a, const float *b, int width, int height, int channels, int c,
                        const double w[SSIM_TAPS], double *rows[N_MOMENTS])
{
    int ow = width - 2 * SSIM_RADIUS;
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < ow; x++) {
            double acc[N_MOMENTS] = {0};
            for (int k = 0; k < SSIM_TAPS; k++) {
                size_t i = ((size_t)y * (size_t)width + (size_t)(x + k)) * (size_t)channels + (size_t)c;
                double va = a[i], vb = b[i];
                acc[0] += w[k] * va;
                acc[1] += w[k] * vb;
                acc[2] += w[k] * va * va;
                acc[3] += w[k] * vb * vb;
                acc[4] += w[k] * va * vb;
            }
            for (int m = 0; m < N_MOMENTS; m++)
                rows[m][(size_t)y * (size_t)ow + (size_t)x] = acc[m];
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

/* Vertical pass over the valid rows and the mean SSIM of one channel. */
static double mean_ssim(double *rows[N_MOMENTS], int width, int height, const double w[SSIM_TAPS],
                        double c1, double c2)
{
    int ow = width - 2 * SSIM_RADIUS, oh = height - 2 * SSIM_RADIUS;
    double total = 0;
    for (int y = 0; y < oh; y++) {
        for (int x = 0; x < ow; x++) {
            double mu[N_MOMENTS];
            for (int m = 0; m < N_MOMENTS; m++) {
                double acc = 0;
                for (int k = 0; k < SSIM_TAPS; k++)
                    acc += w[k] * rows[m][(size_t)(y + k) * (size_t)ow + (size_t)x];
                mu[m] = acc;
            }
            total += ssim_at(mu, c1, c2);
        }
    }
    return total / ((double)ow * (double)oh);
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

drift_status drift_ssim(const float *a, const float *b, int width, int height, int channels,
                        double data_range, double *ssim)
{
    drift_status s = check_ssim_args(a, b, width, height, channels, data_range);
    if (s != DRIFT_OK)
        return s;
    size_t plane = (size_t)(width - 2 * SSIM_RADIUS) * (size_t)height;
    double *buf = malloc(plane * N_MOMENTS * sizeof(double));
    if (!buf)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for SSIM of %dx%d images", width, height);
    double *rows[N_MOMENTS], w[SSIM_TAPS];
    for (int m = 0; m < N_MOMENTS; m++)
        rows[m] = buf + (size_t)m * plane;
    gaussian_taps(w);
    double c1 = (SSIM_K1 * data_range) * (SSIM_K1 * data_range);
    double c2 = (SSIM_K2 * data_range) * (SSIM_K2 * data_range);
    double total = 0;
    for (int c = 0; c < channels; c++) {
        filter_rows(a, b, width, height, channels, c, w, rows);
        total += mean_ssim(rows, width, height, w, c1, c2);
    }
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
