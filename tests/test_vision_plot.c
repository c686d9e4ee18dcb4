/* test_vision_plot.c: heat maps, line plots and image grids make PNGs of
 * the documented size that read back; bad arguments are refused without
 * leaving a file; the colour map is monotone in lightness; the font covers
 * printable ASCII with distinct glyphs; axis ticks are round numbers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "colormap.h"
#include "drift.h"
#include "font.h"
#include "plot.h"
#include "pngio.h"
#include "test_vision_util.h"
#include "testutil.h"

static double srgb_to_linear(double v) { return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4); }

/* Relative luminance (Rec. 709 primaries) of an sRGB pixel. */
static double luminance(const float *rgb)
{
    return 0.2126 * srgb_to_linear(rgb[0]) + 0.7152 * srgb_to_linear(rgb[1]) + 0.0722 * srgb_to_linear(rgb[2]);
}

/* Reads a plot back; checks its size; returns how many pixels are not white. */
static long read_plot(const char *path, int w, int h, drift_image *img)
{
    CHECK(drift_png_read(path, img) == DRIFT_OK, "read %s: %s", path, drift_last_error());
    CHECK(img->width == w && img->height == h && img->channels == 3, "%s is %dx%dx%d, want %dx%dx3", path,
          img->width, img->height, img->channels, w, h);
    long ink = 0;
    for (size_t i = 0; img->data && i < (size_t)img->width * img->height; i++)
        ink += img->data[3 * i] < 0.98f || img->data[3 * i + 1] < 0.98f || img->data[3 * i + 2] < 0.98f;
    return ink;
}

static void test_heatmap(void)
{
    enum { R = 40, C = 300 };
    static float v[R * C];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
            v[r * C + c] = -80.0f + 2.0f * (float)r; /* brighter upwards */
    double yt[3] = {0, 20, 39};
    const char *yl[3] = {"0 Hz", "2 kHz", "8 kHz"};
    drift_heatmap h = {v, R, C, -80, -2, "Spectrogram", "time (s)", "frequency", 0, 3.5, 3, yt, yl};
    const char *path = vt_tmp("heat.png");
    CHECK(drift_plot_heatmap(path, &h) == DRIFT_OK, "heat map: %s", drift_last_error());
    drift_image img;
    long ink = read_plot(path, DRIFT_HEATMAP_WIDTH, DRIFT_HEATMAP_HEIGHT, &img);
    CHECK(ink > DRIFT_HEATMAP_WIDTH * DRIFT_HEATMAP_HEIGHT / 3, "only %ld pixels drawn", ink);
    if (img.data && img.width == DRIFT_HEATMAP_WIDTH) {
        double top = luminance(img.data + (80 * img.width + 500) * 3);
        double bottom = luminance(img.data + (500 * img.width + 500) * 3);
        CHECK(top > bottom + 0.3, "row 0 not at the bottom: top %g, bottom %g", top, bottom);
    }
    drift_image_free(&img);

    h.vmin = h.vmax = 0; /* automatic range */
    CHECK(drift_plot_heatmap(vt_tmp("auto.png"), &h) == DRIFT_OK, "automatic range: %s", drift_last_error());
    h.title = h.x_label = h.y_label = NULL;
    h.n_yticks = 0;
    h.x_min = h.x_max = 0;
    v[5] = NAN;
    CHECK(drift_plot_heatmap(vt_tmp("bare.png"), &h) == DRIFT_OK, "no labels, a NaN cell: %s", drift_last_error());
}

static void check_heatmap_refused(drift_heatmap h, const char *what)
{
    const char *path = vt_tmp("refused.png");
    CHECK(drift_plot_heatmap(path, &h) == DRIFT_ERR_ARG, "%s accepted", what);
    CHECK(!vt_exists(path), "%s left a file", what);
}

static void test_heatmap_refusals(void)
{
    float v[6] = {0, 1, 2, 3, 4, 5};
    drift_heatmap good = {v, 2, 3, 0, 5, "t", "x", "y", 0, 1, 0, NULL, NULL}, h;
    h = good, h.values = NULL;
    check_heatmap_refused(h, "no values");
    h = good, h.rows = 0;
    check_heatmap_refused(h, "0 rows");
    h = good, h.cols = -3;
    check_heatmap_refused(h, "negative columns");
    h = good, h.vmin = NAN;
    check_heatmap_refused(h, "NaN vmin");
    h = good, h.vmin = 6;
    check_heatmap_refused(h, "vmin > vmax");
    h = good, h.x_max = INFINITY;
    check_heatmap_refused(h, "infinite x range");
    h = good, h.n_yticks = 2;
    check_heatmap_refused(h, "ticks without arrays");
    CHECK(drift_plot_heatmap(vt_tmp("good.png"), &good) == DRIFT_OK, "the good one: %s", drift_last_error());
    CHECK(drift_plot_heatmap(NULL, &good) != DRIFT_OK, "NULL path accepted");
}

static void test_lines(void)
{
    enum { N = 500 };
    static float x[N], y1[N], y2[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)(i * 20);
        y1[i] = 1.5f * expf(-(float)i / 80.0f) + 0.02f;
        y2[i] = i % 50 == 7 ? NAN : 1.2f * expf(-(float)i / 120.0f) + 0.05f;
    }
    y2[3] = -1; /* not drawable on a log axis */
    drift_series s[2] = {{x, y1, N, "train"}, {NULL, y2, N, "validation"}};
    drift_line_plot p = {s, 2, "Loss", "step", "loss", 1, 0, 0};
    drift_image img;
    CHECK(drift_plot_lines(vt_tmp("loss.png"), &p) == DRIFT_OK, "log plot: %s", drift_last_error());
    CHECK(read_plot(vt_tmp("loss.png"), 900, 560, &img) > 5000, "log plot nearly empty");
    drift_image_free(&img);
    p.log_y = 0, p.width = 640, p.height = 400;
    CHECK(drift_plot_lines(vt_tmp("lin.png"), &p) == DRIFT_OK, "linear plot: %s", drift_last_error());
    CHECK(read_plot(vt_tmp("lin.png"), 640, 400, &img) > 3000, "linear plot nearly empty");
    drift_image_free(&img);
    p.width = 320, p.height = 240, p.log_y = 1; /* small: 1x text */
    CHECK(drift_plot_lines(vt_tmp("small.png"), &p) == DRIFT_OK, "small plot: %s", drift_last_error());
    CHECK(read_plot(vt_tmp("small.png"), 320, 240, &img) > 1500, "small plot nearly empty");
    drift_image_free(&img);
    drift_series one = {NULL, y1, 1, NULL};
    drift_line_plot single = {&one, 1, NULL, NULL, NULL, 0, 0, 0};
    CHECK(drift_plot_lines(vt_tmp("one.png"), &single) == DRIFT_OK, "one point: %s", drift_last_error());

    const char *bad = vt_tmp("bad.png");
    drift_line_plot q = p;
    q.n_series = 0;
    CHECK(drift_plot_lines(bad, &q) == DRIFT_ERR_ARG, "no series accepted");
    q = p, q.n_series = 9;
    CHECK(drift_plot_lines(bad, &q) == DRIFT_ERR_ARG, "9 series accepted");
    q = p, q.width = 100;
    CHECK(drift_plot_lines(bad, &q) == DRIFT_ERR_ARG, "tiny picture accepted");
    float neg[3] = {-1, 0, -2};
    drift_series ns = {NULL, neg, 3, "x"};
    q = p, q.series = &ns, q.n_series = 1, q.log_y = 1;
    CHECK(drift_plot_lines(bad, &q) == DRIFT_ERR_ARG, "log axis without a positive value accepted");
    CHECK(vt_contains(drift_last_error(), "log"), "message: %s", drift_last_error());
    drift_series empty = {NULL, NULL, 3, "x"};
    q = p, q.series = &empty, q.n_series = 1;
    CHECK(drift_plot_lines(bad, &q) == DRIFT_ERR_ARG, "series without y accepted");
    CHECK(!vt_exists(bad), "refused plot left a file");
}

static void test_grid(void)
{
    drift_image tiles[5], out;
    for (int i = 0; i < 5; i++) {
        CHECK(drift_image_alloc(&tiles[i], 4, 3, 1) == DRIFT_OK, "alloc");
        for (int k = 0; k < 12; k++)
            tiles[i].data[k] = (float)(i * 12 + k) / 100.0f;
    }
    CHECK(drift_image_grid(tiles, 5, 0, 1, 0.9f, &out) == DRIFT_OK, "grid: %s", drift_last_error());
    CHECK(out.width == 16 && out.height == 9 && out.channels == 1, "grid is %dx%dx%d", out.width, out.height, out.channels);
    int wrong = 0;
    for (int i = 0; out.data && i < 5; i++)
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
                wrong += out.data[(1 + (i / 3) * 4 + y) * 16 + 1 + (i % 3) * 5 + x] != tiles[i].data[y * 4 + x];
    CHECK(wrong == 0, "%d tile pixels misplaced", wrong);
    CHECK(out.data && out.data[0] == 0.9f && out.data[5] == 0.9f && out.data[16 * 8 + 15] == 0.9f &&
              out.data[16 * 6 + 13] == 0.9f, "border or empty cell not border-coloured");
    drift_image_free(&out);
    CHECK(drift_image_grid(tiles, 5, 5, 2, 0, &out) == DRIFT_OK && out.width == 5 * 6 + 2 && out.height == 7,
          "one row with 2-pixel borders: %dx%d", out.width, out.height);
    drift_image_free(&out);
    CHECK(drift_image_grid(tiles, 5, 0, 3, 0, &out) == DRIFT_ERR_ARG && !out.data, "3-pixel border accepted");
    CHECK(drift_image_grid(tiles, 0, 0, 1, 0, &out) == DRIFT_ERR_ARG, "no images accepted");
    tiles[3].width = 3;
    CHECK(drift_image_grid(tiles, 5, 0, 1, 0, &out) == DRIFT_ERR_ARG, "mixed sizes accepted");
    tiles[3].width = 4;
    for (int i = 0; i < 5; i++)
        drift_image_free(&tiles[i]);

    drift_image rgba[2];
    for (int i = 0; i < 2; i++) {
        CHECK(drift_image_alloc(&rgba[i], 2, 2, 4) == DRIFT_OK, "alloc");
    }
    CHECK(drift_image_grid(rgba, 2, 0, 1, 0.5f, &out) == DRIFT_OK && out.channels == 4, "RGBA grid");
    CHECK(out.data && out.data[0] == 0.5f && out.data[3] == 1.0f && out.data[(1 * out.width + 1) * 4 + 3] == 0,
          "RGBA border opaque, tiles untouched");
    drift_image_free(&out);
    drift_image_free(&rgba[0]);
    drift_image_free(&rgba[1]);
}

static void test_colormap(void)
{
    float rgb[3];
    double prev = -1, worst_step = 0;
    for (int i = 0; i <= 1000; i++) {
        drift_colormap_magma((float)i / 1000.0f, rgb);
        double y = luminance(rgb);
        worst_step = fmin(worst_step, y - prev);
        prev = y;
    }
    CHECK(worst_step >= 0, "luminance decreases by %g somewhere", -worst_step);
    drift_colormap_magma(0, rgb);
    CHECK(luminance(rgb) < 0.01, "t=0 is not dark: %g", luminance(rgb));
    drift_colormap_magma(1, rgb);
    CHECK(luminance(rgb) > 0.8, "t=1 is not light: %g", luminance(rgb));
    drift_colormap_magma(NAN, rgb);
    CHECK(rgb[0] == 0.5f && rgb[1] == 0.5f && rgb[2] == 0.5f, "NaN is not gray");
}

static void test_font_and_ticks(void)
{
    int empty = 0, dup = 0;
    for (int c = 33; c < 127; c++) {
        const unsigned char *g = drift_font_glyph(c);
        int bits = 0;
        for (int r = 0; r < DRIFT_FONT_HEIGHT; r++)
            bits |= g[r];
        empty += bits == 0 || (bits & ~0x1f);
        for (int d = 33; d < c; d++)
            dup += memcmp(g, drift_font_glyph(d), DRIFT_FONT_HEIGHT) == 0;
    }
    CHECK(empty == 0 && dup == 0, "%d empty or too wide glyphs, %d duplicates", empty, dup);
    CHECK(drift_font_glyph(200) == drift_font_glyph('?'), "non-ASCII is not '?'");

    double t[16], step;
    int n = drift_nice_ticks(0, 4.64, 9, t, &step);
    CHECK(n == 5 && step == 1 && t[0] == 0 && t[4] == 4, "ticks of [0, 4.64]: %d, step %g", n, step);
    n = drift_nice_ticks(-80, 0, 7, t, &step);
    CHECK(n == 5 && step == 20 && t[0] == -80 && t[4] == 0, "ticks of [-80, 0]: %d, step %g", n, step);
    n = drift_nice_ticks(0.013, 0.087, 8, t, &step);
    CHECK(n == 7 && fabs(step - 0.01) < 1e-15 && fabs(t[0] - 0.02) < 1e-12, "ticks of [0.013, 0.087]: %d, %g", n, step);
    char buf[32];
    drift_format_tick(0.5, 0.5, buf, sizeof buf);
    CHECK(strcmp(buf, "0.5") == 0, "0.5 printed as %s", buf);
    drift_format_tick(-1e-17, 0.1, buf, sizeof buf);
    CHECK(strcmp(buf, "0.0") == 0, "near zero printed as %s", buf);
    drift_format_tick(20000, 5000, buf, sizeof buf);
    CHECK(strcmp(buf, "20000") == 0, "20000 printed as %s", buf);
}

int main(void)
{
    test_heatmap();
    test_heatmap_refusals();
    test_lines();
    test_grid();
    test_colormap();
    test_font_and_ticks();
    return test_finish("test_vision_plot");
}
