/* metrics.h: image quality measures, computed as scikit-image does.
 *
 * PSNR = 10 log10(data_range^2 / MSE) over all samples (+infinity for
 * identical inputs), as skimage.metrics.peak_signal_noise_ratio.
 *
 * SSIM (Wang, Bovik, Sheikh and Simoncelli 2004) as
 * skimage.metrics.structural_similarity(a, b, data_range=R,
 * gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
 * channel_axis=-1): local means, variances and covariance under an 11x11
 * Gaussian window (sigma 1.5, truncated at 3.5 sigma, i.e. radius 5),
 * K1 = 0.01, K2 = 0.03, C1 = (K1 R)^2, C2 = (K2 R)^2; the SSIM map is
 * averaged over the pixels at least 5 from every edge (where the window
 * fits), and over channels (every channel, alpha included). Images must be
 * at least 11 x 11. Sums are in double precision. */
#ifndef DRIFT_VISION_METRICS_H
#define DRIFT_VISION_METRICS_H

#include <stddef.h>

#include "image.h"

/* a, b: n samples each. data_range > 0. */
drift_status drift_psnr(const float *a, const float *b, size_t n, double data_range, double *psnr);

/* a, b: (H,W,C) interleaved, the same size; C channels averaged. */
drift_status drift_ssim(const float *a, const float *b, int width, int height, int channels,
                        double data_range, double *ssim);

/* The same for two drift_images of one size and channel count. */
drift_status drift_image_psnr(const drift_image *a, const drift_image *b, double data_range,
                              double *psnr);
drift_status drift_image_ssim(const drift_image *a, const drift_image *b, double data_range,
                              double *ssim);

#endif
