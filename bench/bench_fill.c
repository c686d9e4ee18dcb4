/* bench_fill.c: how long drift's hole filling (vision/fill.h) takes against
 * scikit-image's inpaint_biharmonic (bench_fill.py, run in the same
 * invocation) on centre crops of a photograph: a centre hole of a quarter
 * of the area, and about half the pixels missing in a fixed pattern.
 * Medians of several runs, one thread (the fill is serial, as is
 * scikit-image's solver).
 *
 * Usage: bench_fill PHOTO [--runs N (3)] [--sides 256,512]
 *   e.g. bench_fill /usr/lib/python3/dist-packages/skimage/data/astronaut.png */
#include "bench_clock.h"
#include "fill.h"
#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RUNS 15
#define MAX_SIDES 4

/* 1 where a pixel is missing: the centre quarter, or the fixed pattern
 * bench_fill.py draws the same way. */
static bool missing(int kind, int side, int y, int x)
{
    if (kind == 0)
        return y >= side / 4 && y < 3 * side / 4 && x >= side / 4 && x < 3 * side / 4;
    return (x * 7 + y * 13 + (x * y) % 11) % 2 == 1;
}

/* Median milliseconds of drift_restore_fill on the centre crop (side) of
 * photo (3 planes) with the given holes. */
static double time_fill(const drift_image *photo, int side, int kind, drift_restore_fill_kind fill, int runs)
{
    size_t n = (size_t)side * side;
    float *crop = malloc(3 * n * sizeof(float)), *planes = malloc(3 * n * sizeof(float));
    float *known = malloc(n * sizeof(float)), *work = malloc(DRIFT_RESTORE_FILL_WORK(3, side, side) * sizeof(float));
    double times[MAX_RUNS], median = -1;
    if (crop && planes && known && work) {
        int y0 = (photo->height - side) / 2, x0 = (photo->width - side) / 2, c = photo->channels;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++) {
                const float *px = photo->data + ((size_t)(y0 + y) * photo->width + x0 + x) * c;
                for (int k = 0; k < 3; k++)
                    crop[k * n + (size_t)y * side + x] = px[c >= 3 ? k : 0];
                known[(size_t)y * side + x] = missing(kind, side, y, x) ? 0.0f : 1.0f;
            }
        for (int r = 0; r < runs; r++) {
            memcpy(planes, crop, 3 * n * sizeof(float));
            double t0 = bench_now();
            drift_restore_fill(3, side, side, known, fill, 0.5f, planes, work);
            times[r] = (bench_now() - t0) * 1e3;
        }
        bench_sort(times, (size_t)runs);
        median = times[runs / 2];
    }
    free(crop);
    free(planes);
    free(known);
    free(work);
    return median;
}

/* scikit-image's medians into peer[side index][kind], from bench_fill.py's
 * lines "side kind ms"; 0 if the peer ran. */
static int peer_ms(const char *photo, const int *sides, int n_sides, int runs, double peer[][2])
{
    char cmd[2048], list[64] = "";
    for (int i = 0; i < n_sides; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", i ? "," : "", sides[i]);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench_fill.py '%s' %s %d", BENCH_DIR, photo, list, runs);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    int side, kind;
    double ms;
    while (fscanf(f, "%d %d %lf", &side, &kind, &ms) == 3)
        for (int i = 0; i < n_sides; i++)
            if (sides[i] == side && (kind == 0 || kind == 1))
                peer[i][kind] = ms;
    return pclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *photo_path = NULL;
    int runs = 3, sides[MAX_SIDES] = {256, 512}, n_sides = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sides") && i + 1 < argc) {
            n_sides = 0;
            for (char *s = strtok(argv[++i], ","); s && n_sides < MAX_SIDES; s = strtok(NULL, ","))
                sides[n_sides++] = atoi(s);
        } else if (!photo_path)
            photo_path = argv[i];
    }
    if (!photo_path || runs < 1 || runs > MAX_RUNS || n_sides < 1) {
        fprintf(stderr, "usage: bench_fill PHOTO [--runs N (3, <= %d)] [--sides 256,512]\n", MAX_RUNS);
        return 2;
    }
    drift_image photo;
    if (drift_image_read(photo_path, &photo) != DRIFT_OK) {
        fprintf(stderr, "bench_fill: %s\n", drift_last_error());
        return 1;
    }
    for (int i = 0; i < n_sides; i++)
        if (sides[i] < 8 || sides[i] > photo.width || sides[i] > photo.height) {
            fprintf(stderr, "bench_fill: side %d does not fit in the %d x %d photograph\n", sides[i], photo.width,
                    photo.height);
            return 2;
        }
    double peer[MAX_SIDES][2];
    for (int i = 0; i < MAX_SIDES; i++)
        peer[i][0] = peer[i][1] = -1;
    if (peer_ms(photo_path, sides, n_sides, runs, peer) != 0)
        fprintf(stderr, "bench_fill: the scikit-image peer did not run (sh scripts/install-deps.sh --peers)\n");
    printf("RGB centre crops of %s; 1 thread; medians of %d runs\n", photo_path, runs);
    printf("| picture, holes | drift tension | drift biharmonic | scikit-image biharmonic | ratio (tension) |\n");
    printf("|---|---|---|---|---|\n");
    for (int i = 0; i < n_sides; i++)
        for (int kind = 0; kind < 2; kind++) {
            double t = time_fill(&photo, sides[i], kind, DRIFT_RESTORE_FILL_TENSION, runs);
            double b = time_fill(&photo, sides[i], kind, DRIFT_RESTORE_FILL_BIHARMONIC, runs);
            printf("| %d x %d, %s | %.1f ms | %.1f ms | ", sides[i], sides[i],
                   kind ? "half the pixels" : "centre quarter", t, b);
            if (peer[i][kind] > 0)
                printf("%.0f ms | %.1fx |\n", peer[i][kind], peer[i][kind] / t);
            else
                printf("- | - |\n");
        }
    drift_image_free(&photo);
    return 0;
}
