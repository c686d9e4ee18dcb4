/* test_vision_metrics.c: PSNR and SSIM against scikit-image 0.19
 * (skimage.metrics.peak_signal_noise_ratio and structural_similarity with
 * gaussian_weights=True, sigma=1.5, use_sample_covariance=False; golden
 * data from tests/golden/make_vision.py), plus argument checks. */
#include <math.h>
#include <string.h>

#include "drift.h"
#include "metrics.h"
#include "testutil.h"

static void check_case(const golden_file *g, const char *name, double range)
{
    char key[64];
    const golden_tensor *t[4];
    const char *suffix[4] = {"_a", "_b", "_psnr", "_ssim"};
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "%s%s", name, suffix[i]);
        if (!(t[i] = golden_get(g, key)))
            return;
    }
    int h = t[0]->dims[0], w = t[0]->dims[1], c = t[0]->ndim == 3 ? t[0]->dims[2] : 1;
    double psnr = 0, ssim = 0;
    CHECK(drift_psnr(t[0]->data, t[1]->data, t[0]->n, range, &psnr) == DRIFT_OK, "%s psnr", name);
    CHECK(drift_ssim(t[0]->data, t[1]->data, w, h, c, range, &ssim) == DRIFT_OK, "%s ssim: %s", name,
          drift_last_error());
    CHECK(fabs(psnr - t[2]->data[0]) < 1e-4, "%s PSNR %.7f, skimage %.7f", name, psnr, (double)t[2]->data[0]);
    CHECK(fabs(ssim - t[3]->data[0]) < 1e-4, "%s SSIM %.7f, skimage %.7f", name, ssim, (double)t[3]->data[0]);
    printf("%-10s PSNR %9.5f (skimage %9.5f)  SSIM %.6f (skimage %.6f)\n", name, psnr,
           (double)t[2]->data[0], ssim, (double)t[3]->data[0]);
}

static void test_identity_and_args(const golden_file *g)
{
    const golden_tensor *a = golden_get(g, "gray_noise_a");
    if (!a)
        return;
    int h = a->dims[0], w = a->dims[1];
    double v = 0;
    CHECK(drift_psnr(a->data, a->data, a->n, 1.0, &v) == DRIFT_OK && isinf(v) && v > 0, "PSNR of equal inputs %g", v);
    CHECK(drift_ssim(a->data, a->data, w, h, 1, 1.0, &v) == DRIFT_OK && fabs(v - 1) < 1e-12, "SSIM of equal inputs %g", v);
    CHECK(drift_ssim(a->data, a->data, 10, 10, 1, 1.0, &v) == DRIFT_ERR_ARG, "10x10 accepted");
    CHECK(drift_ssim(a->data, a->data, w, h, 1, 0.0, &v) == DRIFT_ERR_ARG, "zero range accepted");
    CHECK(drift_psnr(a->data, a->data, a->n, -1.0, &v) == DRIFT_ERR_ARG, "negative range accepted");
    CHECK(drift_psnr(NULL, a->data, a->n, 1.0, &v) == DRIFT_ERR_ARG, "NULL accepted");
    drift_image x = {w, h, 1, a->data}, y = {w - 1, h, 1, a->data};
    CHECK(drift_image_ssim(&x, &y, 1.0, &v) == DRIFT_ERR_SHAPE, "size mismatch accepted");
    CHECK(drift_image_psnr(&x, &x, 1.0, &v) == DRIFT_OK && isinf(v), "image PSNR");
}

/* The same value, to the last bit, with 1 or 3 threads. */
static void test_thread_independence(const golden_file *g)
{
    const golden_tensor *a = golden_get(g, "rgb_noise_a"), *b = golden_get(g, "rgb_noise_b");
    if (!a || !b)
        return;
    double one = 0, three = 1;
    drift_set_threads(1);
    CHECK(drift_ssim(a->data, b->data, a->dims[1], a->dims[0], 3, 1.0, &one) == DRIFT_OK, "1 thread");
    drift_set_threads(3);
    CHECK(drift_ssim(a->data, b->data, a->dims[1], a->dims[0], 3, 1.0, &three) == DRIFT_OK, "3 threads");
    CHECK(one == three, "SSIM %.17g with 1 thread, %.17g with 3", one, three);
    drift_set_threads(0);
}

int main(void)
{
    golden_file g;
    if (golden_load(&g, test_path("golden/vision.bin"))) {
        check_case(&g, "gray_noise", 1.0);
        check_case(&g, "gray_blur", 1.0);
        check_case(&g, "rgb_noise", 1.0);
        check_case(&g, "gray255", 255.0);
        test_identity_and_args(&g);
        test_thread_independence(&g);
    }
    golden_free(&g);
    return test_finish("test_vision_metrics");
}
