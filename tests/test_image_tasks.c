/* test_image_tasks.c: vision/imgtask without the CLI: the feathered tiling
 * reassembles an identity task without seams (any size, tiles cropped at
 * the edges, upscaling units), the noise estimate finds the std of added
 * Gaussian noise, and restoration with a small untrained model keeps what
 * it must keep (inpainting: every pixel outside the hole; upscaling of a
 * one-tile picture: every block mean) and gives the same bits whatever the
 * tiles per call, with an unconditional and with a conditional restoration
 * model; and the pieces of conditional restoration (vision/restore): the
 * push-pull fill, block pooling and projection, and training pairs whose
 * conditioning planes agree with their clean crops. */
#include "drift.h"
#include "imgtask.h"
#include "restore.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const float *src; /* (c, h, w) */
    int c, h, w, tile;
} identity_ctx;

/* The identity task: a tile is the source's values (NaN-free, edge-clamped). */
static drift_status identity_tiles(void *user, int n, const drift_tile *tiles, float *out)
{
    identity_ctx *t = user;
    for (int k = 0; k < n; k++)
        for (int c = 0; c < t->c; c++)
            for (int j = 0; j < t->tile; j++)
                for (int i = 0; i < t->tile; i++) {
                    int y = tiles[k].y + j < t->h ? tiles[k].y + j : t->h - 1;
                    int x = tiles[k].x + i < t->w ? tiles[k].x + i : t->w - 1;
                    out[(((size_t)k * t->c + c) * t->tile + j) * t->tile + i] =
                        t->src[((size_t)c * t->h + y) * t->w + x];
                }
    return DRIFT_OK;
}

static void test_tiling_identity(void)
{
    const int sizes[][5] = {/* c, h, w, tile, unit */ {1, 100, 77, 32, 1}, {3, 64, 64, 32, 2},
                            {1, 20, 13, 32, 1}, {2, 130, 96, 48, 4}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int c = sizes[s][0], h = sizes[s][1], w = sizes[s][2], tile = sizes[s][3], unit = sizes[s][4];
        size_t n = (size_t)c * h * w;
        float *src = malloc(n * sizeof(float)), *out = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++)
            src[i] = (float)(0.5 + 0.5 * sin(0.37 * i) * cos(0.011 * i));
        identity_ctx ctx = {src, c, h, w, tile};
        drift_status st = drift_tiles_run(c, h, w, tile, tile / 4, unit, 3, identity_tiles, &ctx, NULL, out);
        CHECK(st == DRIFT_OK, "tiling %dx%d: %s", w, h, drift_last_error());
        double err = max_abs_diff(out, src, n);
        CHECK(err <= 1e-6, "identity through %dx%d tiles of %d: max error %g", w, h, tile, err);
        int nx = drift_tiles_count(w, tile, tile / 4, unit);
        for (int i = 0; i < nx; i++)
            CHECK(drift_tiles_corner(w, tile, tile / 4, unit, i) % unit == 0, "corners on the unit");
        if (w > tile)
            CHECK(drift_tiles_corner(w, tile, tile / 4, unit, nx - 1) + tile >= w, "last tile reaches the edge");
        free(src);
        free(out);
    }
}

static void test_sigma_estimate(void)
{
    drift_image img;
    CHECK(drift_image_alloc(&img, 256, 192, 3) == DRIFT_OK, "alloc");
    drift_rng r;
    drift_rng_init(&r, 1, 0);
    size_t n = drift_image_samples(&img);
    float *z = malloc(n * sizeof(float));
    const double sigmas[] = {0.02, 0.1, 0.3};
    for (int k = 0; k < 3; k++) {
        drift_rng_normal(&r, z, n);
        for (int y = 0; y < img.height; y++)
            for (int x = 0; x < img.width; x++)
                for (int c = 0; c < 3; c++) {
                    size_t i = ((size_t)y * img.width + x) * 3 + c;
                    double smooth = 0.5 + 0.3 * sin(x / 17.0) * cos(y / 23.0 + c);
                    img.data[i] = (float)(smooth + sigmas[k] * z[i]);
                }
        double est;
        CHECK(drift_image_estimate_sigma(&img, &est) == DRIFT_OK, "estimate");
        printf("noise estimate: true %.3f, estimated %.4f\n", sigmas[k], est);
        CHECK(fabs(est / sigmas[k] - 1) < 0.1, "estimate %.4f within 10%% of %.3f", est, sigmas[k]);
    }
    free(z);
    drift_image_free(&img);
    drift_image tiny;
    drift_image_alloc(&tiny, 1, 5, 1);
    double est;
    CHECK(drift_image_estimate_sigma(&tiny, &est) == DRIFT_ERR_ARG, "1-pixel-wide picture refused");
    drift_image_free(&tiny);
}

static drift_model *small_model(int channels)
{
    drift_unet_config u;
    test_tiny_unet(&u, 2, channels, 8);
    drift_model_config c = drift_model_config_default(&u);
    c.data_mean = 0.5f;
    c.data_std = 0.5f;
    drift_model *m = NULL;
    CHECK(drift_model_create(&c, 3, &m) == DRIFT_OK, "model: %s", drift_last_error());
    return m;
}

/* A conditional restoration model (restore.h), untrained. */
static drift_model *small_restore_model(int channels)
{
    drift_unet_config u;
    test_tiny_unet(&u, 2, channels, 8);
    u.cond_channels = DRIFT_RESTORE_COND_PLANES(channels);
    drift_model_config c = drift_model_config_default(&u);
    c.data_mean = 0;
    c.data_std = DRIFT_RESTORE_RESIDUAL_STD;
    c.prediction = DRIFT_PRED_X0;
    c.task_json = "{\"image_size\":16,\"restore\":1}";
    drift_model *m = NULL;
    CHECK(drift_model_create(&c, 5, &m) == DRIFT_OK, "restore model: %s", drift_last_error());
    CHECK(!m || drift_restore_model(m), "the model is recognised as a restoration model");
    return m;
}

static void picture(drift_image *img, int w, int h, int c)
{
    drift_image_alloc(img, w, h, c);
    for (size_t i = 0; i < drift_image_samples(img); i++)
        img->data[i] = (float)(0.5 + 0.4 * sin(0.05 * i));
}

static void test_inpaint_keeps_pixels(drift_model *m)
{
    drift_image img, mask, out = {0}, out1 = {0};
    picture(&img, 45, 37, 3);
    drift_image_alloc(&mask, 45, 37, 1);
    for (int y = 10; y < 20; y++)
        for (int x = 5; x < 30; x++)
            mask.data[y * 45 + x] = 1.0f;
    drift_imgtask_options o;
    drift_imgtask_defaults(&o, DRIFT_IMGTASK_INPAINT);
    o.mask = &mask;
    o.steps = 6;
    o.tile = 16;
    o.seed = 4;
    CHECK(drift_imgtask_run(m, &o, &img, &out) == DRIFT_OK, "inpaint: %s", drift_last_error());
    double kept = 0, changed = 0;
    for (int y = 0; y < 37; y++)
        for (int x = 0; x < 45; x++)
            for (int c = 0; c < 3; c++) {
                size_t i = ((size_t)y * 45 + x) * 3 + c;
                double d = fabs(out.data[i] - img.data[i]);
                if (mask.data[y * 45 + x] > 0.5f)
                    changed = fmax(changed, d);
                else
                    kept = fmax(kept, d);
            }
    CHECK(kept < 1e-5, "pixels outside the hole kept (max change %g)", kept);
    CHECK(changed > 1e-3, "the hole was filled (max change %g)", changed);
    o.batch = 1;
    CHECK(drift_imgtask_run(m, &o, &img, &out1) == DRIFT_OK, "inpaint, one tile per call");
    CHECK(memcmp(out.data, out1.data, drift_image_samples(&out) * sizeof(float)) == 0,
          "same bits with 1 or 8 tiles per call");
    drift_image small;
    drift_image_alloc(&small, 20, 20, 1);
    o.mask = &small;
    drift_image_free(&out1);
    CHECK(drift_imgtask_run(m, &o, &img, &out1) == DRIFT_ERR_ARG && strstr(drift_last_error(), "20 x 20"),
          "mask size mismatch: %s", drift_last_error());
    CHECK(out1.data == NULL, "no output on failure");
    drift_image_free(&small);
    drift_image_free(&img);
    drift_image_free(&mask);
    drift_image_free(&out);
    drift_image_free(&out1);
}

static void test_upscale_keeps_block_means(drift_model *m)
{
    drift_image img, out = {0};
    picture(&img, 8, 8, 1);
    drift_imgtask_options o;
    drift_imgtask_defaults(&o, DRIFT_IMGTASK_UPSCALE);
    o.scale = 2;
    o.steps = 5;
    o.tile = 16;
    CHECK(drift_imgtask_run(m, &o, &img, &out) == DRIFT_OK, "upscale: %s", drift_last_error());
    CHECK(out.width == 16 && out.height == 16, "output is 16 x 16, got %d x %d", out.width, out.height);
    double err = 0;
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) {
            const float *p = out.data + (size_t)(2 * y) * 16 + 2 * x;
            double mean = 0.25 * (p[0] + p[1] + p[16] + p[17]);
            err = fmax(err, fabs(mean - img.data[y * 8 + x]));
        }
    CHECK(err < 1e-5, "each 2x2 block averages to its input pixel (max error %g)", err);
    o.scale = 3;
    drift_image_free(&out);
    CHECK(drift_imgtask_run(m, &o, &img, &out) == DRIFT_ERR_ARG, "scale 3 refused");
    drift_image_free(&img);
    drift_image_free(&out);
}

static void test_denoise_zero_sigma(drift_model *m)
{
    drift_image img, out = {0};
    picture(&img, 33, 20, 1);
    drift_imgtask_options o;
    drift_imgtask_defaults(&o, DRIFT_IMGTASK_DENOISE);
    o.sigma = 0;
    o.tile = 16;
    CHECK(drift_imgtask_run(m, &o, &img, &out) == DRIFT_OK, "denoise: %s", drift_last_error());
    double err = max_abs_diff(out.data, img.data, drift_image_samples(&img));
    CHECK(err < 1e-5, "sigma 0 leaves the picture as it is (max change %g)", err);
    drift_image_free(&out);
    o.sigma = 0.1;
    CHECK(drift_imgtask_run(m, &o, &img, &out) == DRIFT_OK, "denoise 0.1: %s", drift_last_error());
    CHECK(max_abs_diff(out.data, img.data, drift_image_samples(&img)) > 1e-3, "sigma 0.1 changes the picture");
    drift_image_free(&img);
    drift_image_free(&out);
}

static size_t count_holes(const float *known, size_t n)
{
    size_t holes = 0;
    for (size_t p = 0; p < n; p++)
        holes += known[p] < 0.5f;
    return holes;
}

/* Push-pull: kept pixels unchanged, a constant stays constant, a smooth
 * ramp is filled close to itself, and nothing known gives `empty`. */
static void test_fill(void)
{
    enum { H = 40, W = 52 };
    float known[H * W], ramp[2 * H * W], planes[2 * H * W], work[DRIFT_RESTORE_FILL_WORK(2, H, W)];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int p = y * W + x;
            bool hole = (x >= 10 && x < 40 && y >= 8 && y < 30) || (p * 7919 % 3 == 0);
            known[p] = hole ? 0.0f : 1.0f;
            ramp[p] = 0.01f * x + 0.02f * y;
            ramp[H * W + p] = 0.7f;
        }
    for (int i = 0; i < 2 * H * W; i++)
        planes[i] = known[i % (H * W)] > 0.5f ? ramp[i] : -5.0f;
    drift_restore_fill(2, H, W, known, DRIFT_RESTORE_FILL_HARMONIC, 0.5f, planes, work);
    double kept = 0, ramp_err = 0, flat_err = 0;
    for (int p = 0; p < H * W; p++) {
        if (known[p] > 0.5f)
            kept = fmax(kept, fabs(planes[p] - ramp[p]) + fabs(planes[H * W + p] - ramp[H * W + p]));
        ramp_err = fmax(ramp_err, fabs(planes[p] - ramp[p]));
        flat_err = fmax(flat_err, fabs(planes[H * W + p] - 0.7f));
    }
    CHECK(kept == 0, "kept pixels unchanged (max change %g)", kept);
    CHECK(flat_err < 1e-5, "a constant plane is filled with the constant (max error %g)", flat_err);
    printf("fill (push-pull, relaxed) of a ramp (values 0..1.3) through a 30 x 22 hole: max error %.3f\n", ramp_err);
    CHECK(ramp_err < 0.15, "a ramp is filled close to itself (max error %g)", ramp_err);
    /* A bowl (its Laplacian constant, its biharmonic 0) through a hole in
     * the middle: the biharmonic fill continues its curvature, the
     * harmonic fill cannot. */
    double err[2] = {0, 0};
    for (int kind = 0; kind < 2; kind++) {
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int p = y * W + x;
                known[p] = x >= 12 && x < 40 && y >= 10 && y < 30 ? 0.0f : 1.0f;
                ramp[p] = ramp[H * W + p] = 0.002f * (float)((x - 26) * (x - 26) + (y - 20) * (y - 20));
                planes[p] = planes[H * W + p] = known[p] > 0.5f ? ramp[p] : 9.0f;
            }
        drift_restore_fill(2, H, W, known, kind ? DRIFT_RESTORE_FILL_BIHARMONIC : DRIFT_RESTORE_FILL_HARMONIC, 0.5f,
                           planes, work);
        for (int p = 0; p < H * W; p++) {
            CHECK(known[p] < 0.5f || planes[p] == ramp[p], "kept pixels unchanged");
            err[kind] = fmax(err[kind], fabs(planes[p] - ramp[p]));
        }
    }
    printf("fill of a bowl (values 0..1.1) through a 28 x 20 hole: max error harmonic %.3f, biharmonic %.3f\n",
           err[0], err[1]);
    CHECK(err[1] < 0.4 * err[0], "the biharmonic fill continues the bowl (max error %g)", err[1]);
    for (int p = 0; p < H * W; p++)
        known[p] = 0;
    for (int kind = 0; kind < 2; kind++) {
        drift_restore_fill(2, H, W, known, kind ? DRIFT_RESTORE_FILL_BIHARMONIC : DRIFT_RESTORE_FILL_HARMONIC, 0.5f,
                           planes, work);
        CHECK(planes[0] == 0.5f && planes[2 * H * W - 1] == 0.5f, "nothing known: filled with the empty value");
    }
    drift_restore_fill_kind k;
    CHECK(drift_restore_fill_parse("biharmonic", &k) == DRIFT_OK && k == DRIFT_RESTORE_FILL_BIHARMONIC &&
              drift_restore_fill_parse("tension", &k) == DRIFT_OK && k == DRIFT_RESTORE_FILL_TENSION &&
              !strcmp(drift_restore_fill_name(k), "tension") && drift_restore_fill_parse("smooth", &k) == DRIFT_ERR_ARG,
          "fill names");
}

/* Every fill on small and thin planes, down to 1 x 1: kept pixels stay,
 * the values stay finite, and one known value fills its plane (a constant
 * has no curvature and no slope, so it is the minimiser). */
static void test_fill_small_planes(void)
{
    enum { MAX = 9 };
    static const int sides[] = {1, 2, 3, 5, 9};
    float known[MAX * MAX], planes[2 * MAX * MAX], work[DRIFT_RESTORE_FILL_WORK(2, MAX, MAX)];
    int bad = 0, cases = 0;
    for (int kind = 0; kind < 3; kind++)
        for (int a = 0; a < 5; a++)
            for (int b = 0; b < 5; b++)
                for (int pattern = 0; pattern < 2; pattern++) {
                    int h = sides[a], w = sides[b], n = h * w;
                    for (int p = 0; p < n; p++) {
                        /* one known pixel, or every third one */
                        known[p] = pattern ? (p % 3 == 1 || n == 1) : p == n / 2;
                        planes[p] = known[p] > 0.5f ? 0.25f + 0.01f * (float)p : 7.0f;
                        planes[n + p] = known[p] > 0.5f ? 0.6f : -3.0f;
                    }
                    drift_restore_fill(2, h, w, known, (drift_restore_fill_kind)kind, 0.5f, planes, work);
                    for (int p = 0; p < n; p++) {
                        bool ok = isfinite(planes[p]) && fabsf(planes[n + p] - 0.6f) < 1e-4f;
                        if (known[p] > 0.5f)
                            ok = ok && planes[p] == 0.25f + 0.01f * (float)p;
                        if (!pattern)
                            ok = ok && fabsf(planes[p] - planes[n / 2]) < 1e-4f;
                        bad += !ok;
                    }
                    cases++;
                }
    CHECK(bad == 0, "small planes: %d pixels wrong over %d cases (kept, finite, constant fills)", bad, cases);
}

/* The fill under tension against scipy's direct solve of the same
 * minimisation (tests/golden/make_fill.py): a rectangle, a notch on the
 * picture's edge and 30% random pixels, two planes. */
static void test_fill_tension(void)
{
    golden_file g;
    if (!golden_load(&g, test_path("golden/fill.bin"))) {
        CHECK(false, "golden/fill.bin loads");
        return;
    }
    const golden_tensor *values = golden_get(&g, "fill_values"), *known = golden_get(&g, "fill_known"),
                        *want = golden_get(&g, "fill_tension");
    CHECK(values && known && want && values->ndim == 3 && values->dims[0] == 2, "golden fill tensors present");
    if (values && known && want && values->ndim == 3 && values->dims[0] == 2) {
        int h = values->dims[1], w = values->dims[2];
        size_t n = (size_t)h * w;
        float *planes = malloc(2 * n * sizeof(float)), *work = malloc(DRIFT_RESTORE_FILL_WORK(2, h, w) * sizeof(float));
        memcpy(planes, values->data, 2 * n * sizeof(float));
        drift_restore_fill(2, h, w, known->data, DRIFT_RESTORE_FILL_TENSION, 0.5f, planes, work);
        double err = max_abs_diff(planes, want->data, 2 * n), kept = 0;
        for (size_t p = 0; p < 2 * n; p++)
            if (known->data[p % n] > 0.5f)
                kept = fmax(kept, fabs(planes[p] - values->data[p]));
        printf("fill under tension vs scipy's direct solve (2 x %d x %d, %.0f%% holes): max error %.2e\n", h, w,
               100.0 * (double)count_holes(known->data, n) / (double)n, err);
        CHECK(kept == 0, "kept pixels unchanged (max change %g)", kept);
        /* the solver stops at DRIFT_RESTORE_TENSION_TOL; a tension off by a
         * third (1/12) would be 4.7e-3 away, none (biharmonic) 2.2e-2 */
        CHECK(err < 3e-3, "the fill under tension is the exact minimiser (max error %g)", err);
        free(planes);
        free(work);
    }
    golden_free(&g);
}

/* Bilinear upsampling keeps a ramp a ramp (between the outer pixel
 * centres); projection makes block means agree with the measurement. */
static void test_pool_project(void)
{
    enum { C = 2, h = 5, w = 3, F = 4 };
    float y[C * h * w], up[C * h * w * F * F], back[C * h * w], x[C * h * w * F * F];
    for (int i = 0; i < C * h * w; i++)
        y[i] = (float)(i % w) + 10.0f * (float)(i / w % h); /* a ramp along x and y */
    drift_restore_upsample(C, h, w, F, y, up);
    double ramp = 0;
    for (int Y = F / 2; Y < h * F - F / 2; Y++)
        for (int X = F / 2; X < w * F - F / 2; X++) {
            double want = ((X + 0.5) / F - 0.5) + 10.0 * ((Y + 0.5) / F - 0.5);
            ramp = fmax(ramp, fabs(up[(size_t)Y * w * F + X] - want));
        }
    CHECK(ramp < 1e-5, "bilinear upsampling of a ramp is the ramp (max error %g)", ramp);
    /* pictures in [0, 1]; x strays outside, as a sample may, and many
     * blocks need clamping after their shift (y near 0 or 1) */
    for (int i = 0; i < C * h * w; i++)
        y[i] = (float)(0.5 + 0.5 * sin(i));
    for (int i = 0; i < C * h * w * F * F; i++)
        x[i] = (float)(0.5 + 0.7 * cos(0.3 * i));
    drift_restore_project(C, h * F, w * F, F, NULL, y, x);
    drift_restore_pool(C, h, w, F, x, back);
    CHECK(max_abs_diff(back, y, C * h * w) < 1e-5, "projected blocks average to the measurement (max error %g)",
          max_abs_diff(back, y, C * h * w));
    float lo = 1, hi = 0;
    for (int i = 0; i < C * h * w * F * F; i++)
        lo = fminf(lo, x[i]), hi = fmaxf(hi, x[i]);
    CHECK(lo >= 0 && hi <= 1, "projected values leave [0, 1]: %g .. %g", lo, hi);
    CHECK(lo == 0 && hi == 1, "no block needed clamping (%g .. %g): the test misses its case", lo, hi);
}

/* Every training pair's conditioning agrees with its clean crop (base +
 * residual): upscaling bases are the crop's block means interpolated (code
 * 1/f), inpainting residuals are 0 where the code says known; all kinds
 * occur. */
static void test_restore_pairs(void)
{
    enum { S = 16, P = 40, B = 64 };
    unsigned char pixels[3 * P * P];
    for (int i = 0; i < 3 * P * P; i++)
        pixels[i] = (unsigned char)(128 + 100 * sin(0.05 * i));
    int width = P, height = P;
    unsigned char *pics[1] = {pixels};
    drift_picture_set set = {1, 3, &width, &height, pics};
    drift_restore_source src;
    CHECK(drift_restore_source_init(&src, &set, S, true, DRIFT_RESTORE_FILL_TENSION) == DRIFT_OK, "pairs: %s", drift_last_error());
    size_t dim = 3 * S * S, edim = 4 * S * S;
    float *x0 = malloc(B * dim * sizeof(float)), *extra = malloc(B * edim * sizeof(float));
    drift_batch b = {B, dim, x0, NULL, NULL, extra, edim};
    drift_rng r;
    drift_rng_init(&r, 9, 0);
    drift_data_source d = drift_restore_source_data(&src);
    CHECK(d.fill(d.user, 0, &r, &b) == DRIFT_OK, "fill: %s", drift_last_error());
    int kinds[4] = {0};
    double err = 0;
    for (int i = 0; i < B; i++) {
        const float *res = x0 + i * dim, *cond = extra + i * edim, *code = cond + dim;
        float base[3 * S * S], crop[3 * S * S];
        for (size_t p = 0; p < dim; p++) {
            base[p] = cond[p] * DRIFT_RESTORE_BASE_STD + DRIFT_RESTORE_BASE_MEAN;
            crop[p] = base[p] + res[p] * DRIFT_RESTORE_RESIDUAL_STD;
        }
        float c0 = code[0];
        int f = fabsf(c0 - 0.25f) < 1e-6f ? 4 : fabsf(c0 - 0.5f) < 1e-6f ? 2 : 0;
        if (f) {
            kinds[f == 4 ? 0 : 1]++;
            float pooled[3 * (S / 2) * (S / 2)], up[3 * S * S];
            drift_restore_pool(3, S / f, S / f, f, crop, pooled);
            drift_restore_upsample(3, S / f, S / f, f, pooled, up);
            err = fmax(err, max_abs_diff(up, base, dim));
        } else {
            int holes = 0;
            for (int p = 0; p < S * S; p++) {
                holes += code[p] < 0.5f;
                for (int c = 0; c < 3 && code[p] > 0.5f; c++)
                    err = fmax(err, fabs(res[c * S * S + p]));
            }
            kinds[holes == S * S ? 3 : 2]++;
        }
    }
    printf("restoration pairs: %d x4, %d x2, %d with holes, %d wholly in a hole\n", kinds[0], kinds[1], kinds[2],
           kinds[3]);
    CHECK(err < 1e-5, "conditioning agrees with the clean crops (max error %g)", err);
    CHECK(kinds[0] > 0 && kinds[1] > 0 && kinds[2] > 0, "upscaling by 4, by 2 and inpainting pairs all occur");
    int small = 20;
    drift_picture_set tiny = {1, 3, &small, &small, pics};
    drift_restore_source bad;
    CHECK(drift_restore_source_init(&bad, &tiny, S, true, DRIFT_RESTORE_FILL_HARMONIC) == DRIFT_ERR_ARG, "a picture under 2 x 16 refused");
    free(x0);
    free(extra);
    drift_restore_source_free(&src);
}

int main(void)
{
    test_tiling_identity();
    test_sigma_estimate();
    drift_model *gray = small_model(1);
    if (gray) {
        test_inpaint_keeps_pixels(gray); /* RGB picture through a gray model */
        test_upscale_keeps_block_means(gray);
        test_denoise_zero_sigma(gray);
        drift_model_free(gray);
    }
    test_fill();
    test_fill_tension();
    test_fill_small_planes();
    test_pool_project();
    test_restore_pairs();
    drift_model *cond = small_restore_model(3);
    if (cond) {
        test_inpaint_keeps_pixels(cond);
        test_upscale_keeps_block_means(cond); /* gray picture through a colour model */
        drift_image img, out = {0};
        picture(&img, 16, 16, 3);
        drift_imgtask_options o;
        drift_imgtask_defaults(&o, DRIFT_IMGTASK_DENOISE);
        CHECK(drift_imgtask_run(cond, &o, &img, &out) == DRIFT_ERR_UNSUPPORTED && out.data == NULL,
              "a restoration model refuses to denoise: %s", drift_last_error());
        drift_image_free(&img);
        drift_model_free(cond);
    }
    return test_finish("test_image_tasks");
}
