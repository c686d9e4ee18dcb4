/* bench_image.c: how long drift's image tasks take at their default step
 * counts: seconds per picture at the model's size for generation (batches
 * of 8), denoising, inpainting (RePaint and DDRM) and upscaling (x2, x4),
 * and seconds per megapixel for a tiled photograph (a crop of PHOTO,
 * denoised and upscaled x2 tile by tile). Medians of RUNS runs. With
 * --restore R, a conditional restoration model (vision/restore.h) also
 * inpaints and upscales (x2, x4) the photograph.
 *
 * Usage: bench_image MODEL [PHOTO [CROP (default 128)]] [--restore R] [--runs N] [--threads N]
 * Pictures are Fashion-MNIST test pictures padded to the model's size (the
 * same contents whatever the model; a colour model gets them as gray RGB). */
#include "bench_clock.h"
#include "vision/imgtask.h"
#include "vision/imgdata.h"
#include "vision/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RUNS 15

static double median(double *v, int n)
{
    bench_sort(v, (size_t)n);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct bench {
    drift_model *m;
    drift_image picture, photo, hole_small, hole_photo;
    int runs;
} bench;

/* Seconds of one task run on `in` (median over runs). */
static double time_task(bench *b, drift_imgtask_kind kind, drift_inverse_method method, int scale,
                        const drift_image *in, const drift_image *mask)
{
    double t[MAX_RUNS];
    for (int r = 0; r < b->runs; r++) {
        drift_imgtask_options o;
        drift_imgtask_defaults(&o, kind);
        o.method = method, o.scale = scale ? scale : o.scale, o.sigma = 0.1, o.mask = mask, o.seed = (uint64_t)r;
        drift_image out = {0};
        double t0 = bench_now();
        drift_status s = drift_imgtask_run(b->m, &o, in, &out);
        t[r] = bench_now() - t0;
        drift_image_free(&out);
        if (s) {
            fprintf(stderr, "bench_image: %s\n", drift_last_error());
            return -1;
        }
    }
    return median(t, b->runs);
}

static double time_generate(bench *b)
{
    double t[MAX_RUNS];
    drift_image img[8];
    for (int r = 0; r < b->runs; r++) {
        drift_generate_options o;
        drift_generate_defaults(&o);
        o.count = 8, o.seed = (uint64_t)r;
        double t0 = bench_now();
        drift_status s = drift_image_generate(b->m, &o, img);
        t[r] = (bench_now() - t0) / 8;
        for (int i = 0; !s && i < 8; i++)
            drift_image_free(&img[i]);
        if (s) {
            fprintf(stderr, "bench_image: %s\n", drift_last_error());
            return -1;
        }
    }
    return median(t, b->runs);
}

/* A white centre square of a quarter of the area on black. */
static drift_status centre_hole(int w, int h, drift_image *mask)
{
    drift_status s = drift_image_alloc(mask, w, h, 1);
    for (int y = h / 4; !s && y < h - h / 4; y++)
        for (int x = w / 4; x < w - w / 4; x++)
            mask->data[(size_t)y * w + x] = 1;
    return s;
}

/* Fashion-MNIST test picture 0 at the model's size, with the model's channels. */
static drift_status load_picture(bench *b)
{
    int size = drift_model_image_size(b->m);
    drift_image_set set = {0};
    drift_status s = drift_image_set_fashion_mnist(NULL, false, size >= 28 ? size : 0, 1, &set);
    drift_image gray = {0};
    if (!s)
        s = drift_image_alloc(&gray, set.width, set.height, 1);
    if (!s) {
        memcpy(gray.data, set.data, (size_t)set.width * set.height * sizeof(float));
        s = drift_image_convert(&gray, b->m->cfg.unet.in_channels, &b->picture);
    }
    if (!s)
        s = centre_hole(b->picture.width, b->picture.height, &b->hole_small);
    drift_image_free(&gray);
    if (set.data)
        drift_image_set_free(&set);
    return s;
}

/* The top-left crop x crop of a photograph. */
static drift_status load_photo(bench *b, const char *path, int crop)
{
    drift_image full = {0};
    drift_status s = drift_image_read(path, &full);
    if (!s && (full.width < crop || full.height < crop))
        s = drift_fail(DRIFT_ERR_ARG, "%s is smaller than the %d-pixel crop", path, crop);
    if (!s)
        s = drift_image_alloc(&b->photo, crop, crop, full.channels);
    for (int y = 0; !s && y < crop; y++)
        memcpy(b->photo.data + (size_t)y * crop * full.channels, full.data + (size_t)y * full.width * full.channels,
               (size_t)crop * full.channels * sizeof(float));
    if (!s)
        s = centre_hole(crop, crop, &b->hole_photo);
    drift_image_free(&full);
    return s;
}

static void report(const char *what, double seconds, double megapixels)
{
    if (megapixels > 0)
        printf("| %-34s | %8.2f s | %9.1f s/MP |\n", what, seconds, seconds / megapixels);
    else
        printf("| %-34s | %8.3f s |               |\n", what, seconds);
    fflush(stdout);
}

static void run(bench *b)
{
    printf("| task (default steps) | time | per megapixel |\n|---|---|---|\n");
    report("generate (dpm++2m, per picture)", time_generate(b), 0);
    report("denoise (ddrm)", time_task(b, DRIFT_IMGTASK_DENOISE, DRIFT_INVERSE_DDRM, 0, &b->picture, NULL), 0);
    report("inpaint centre (repaint)",
           time_task(b, DRIFT_IMGTASK_INPAINT, DRIFT_INVERSE_REPAINT, 0, &b->picture, &b->hole_small), 0);
    report("inpaint centre (ddrm)",
           time_task(b, DRIFT_IMGTASK_INPAINT, DRIFT_INVERSE_DDRM, 0, &b->picture, &b->hole_small), 0);
    drift_image small2 = {0}, small4 = {0};
    int w = b->picture.width, c = b->picture.channels;
    if (!drift_image_alloc(&small2, w / 2, w / 2, c) && !drift_image_alloc(&small4, w / 4, w / 4, c)) {
        report("upscale x2 (ddrm)", time_task(b, DRIFT_IMGTASK_UPSCALE, DRIFT_INVERSE_DDRM, 2, &small2, NULL), 0);
        report("upscale x4 (ddrm)", time_task(b, DRIFT_IMGTASK_UPSCALE, DRIFT_INVERSE_DDRM, 4, &small4, NULL), 0);
    }
    drift_image_free(&small2), drift_image_free(&small4);
    if (!b->photo.data)
        return;
    double mp = (double)b->photo.width * b->photo.height / 1e6;
    char what[64];
    snprintf(what, sizeof what, "photo %dx%d denoise (ddrm)", b->photo.width, b->photo.height);
    report(what, time_task(b, DRIFT_IMGTASK_DENOISE, DRIFT_INVERSE_DDRM, 0, &b->photo, NULL), mp);
    snprintf(what, sizeof what, "photo %dx%d inpaint (ddrm)", b->photo.width, b->photo.height);
    report(what, time_task(b, DRIFT_IMGTASK_INPAINT, DRIFT_INVERSE_DDRM, 0, &b->photo, &b->hole_photo), mp);
    drift_image half = {0};
    if (!drift_image_alloc(&half, b->photo.width / 2, b->photo.height / 2, b->photo.channels)) {
        snprintf(what, sizeof what, "photo -> %dx%d upscale x2 (ddrm)", b->photo.width, b->photo.height);
        report(what, time_task(b, DRIFT_IMGTASK_UPSCALE, DRIFT_INVERSE_DDRM, 2, &half, NULL), mp);
    }
    drift_image_free(&half);
}

/* The photograph through a conditional restoration model. */
static void run_restore(bench *b, drift_model *r)
{
    if (!r || !b->photo.data)
        return;
    drift_model *unconditional = b->m;
    b->m = r;
    double mp = (double)b->photo.width * b->photo.height / 1e6;
    char what[64];
    snprintf(what, sizeof what, "photo %dx%d inpaint (restore)", b->photo.width, b->photo.height);
    report(what, time_task(b, DRIFT_IMGTASK_INPAINT, DRIFT_INVERSE_DDRM, 0, &b->photo, &b->hole_photo), mp);
    for (int f = 2; f <= 4; f *= 2) {
        drift_image low = {0};
        if (!drift_image_alloc(&low, b->photo.width / f, b->photo.height / f, b->photo.channels)) {
            snprintf(what, sizeof what, "photo -> %dx%d upscale x%d (restore)", b->photo.width, b->photo.height, f);
            report(what, time_task(b, DRIFT_IMGTASK_UPSCALE, DRIFT_INVERSE_DDRM, f, &low, NULL), mp);
        }
        drift_image_free(&low);
    }
    b->m = unconditional;
}

int main(int argc, char **argv)
{
    bench b = {0};
    b.runs = 3;
    const char *model = NULL, *photo = NULL, *restore = NULL;
    int crop = 128, threads = 2, pos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            b.runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--restore") && i + 1 < argc)
            restore = argv[++i];
        else if (pos == 0 && ++pos)
            model = argv[i];
        else if (pos == 1 && ++pos)
            photo = argv[i];
        else
            crop = atoi(argv[i]);
    }
    if (!model || b.runs < 1 || b.runs > MAX_RUNS || crop < 16) {
        fprintf(stderr, "usage: bench_image MODEL [PHOTO [CROP (128)]] [--restore R] [--runs N (3, <= %d)] "
                "[--threads N (2)]\n", MAX_RUNS);
        return 2;
    }
    drift_set_threads(threads);
    drift_status s = drift_model_load(model, &b.m);
    if (!s)
        s = load_picture(&b);
    if (!s && photo)
        s = load_photo(&b, photo, crop);
    drift_model *r = NULL;
    if (!s && restore)
        s = drift_model_load(restore, &r);
    if (s) {
        fprintf(stderr, "bench_image: %s\n", drift_last_error());
        return 1;
    }
    printf("model %s (%dx%d, %d channels); %d threads; medians of %d runs; BLAS: %s\n", model, b.picture.width,
           b.picture.height, b.picture.channels, threads, b.runs, drift_blas_describe());
    run(&b);
    run_restore(&b, r);
    drift_model_free(r);
    drift_image_free(&b.picture), drift_image_free(&b.photo);
    drift_image_free(&b.hole_small), drift_image_free(&b.hole_photo);
    drift_model_free(b.m);
    return 0;
}
