/* plot.c: heat maps, line plots and image grids as PNG files (see plot.h). */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colormap.h"
#include "plotaxes.h"
#include "pngio.h"

static const float white[3] = {1.0f, 1.0f, 1.0f};
#define ink drift_plot_ink

static drift_status new_canvas(drift_image *img, int w, int h)
{
    drift_status s = drift_image_alloc(img, w, h, 3);
    if (s == DRIFT_OK)
        drift_canvas_fill(img, drift_canvas_bounds(img), white);
    return s;
}

static drift_status save_canvas(const char *path, drift_image *img)
{
    drift_status s = drift_png_write(path, img, 8);
    drift_image_free(img);
    return s;
}

/* A frame one pixel outside area. */
static void frame_area(drift_image *img, drift_rect area)
{
    drift_rect r = {area.x0 - 1, area.y0 - 1, area.x1 + 1, area.y1 + 1};
    drift_canvas_frame(img, r, ink);
}

/* ---- heat maps ---- */

/* Fixed layout of the DRIFT_HEATMAP_WIDTH x DRIFT_HEATMAP_HEIGHT picture. */
static const drift_rect heat_area = {140, 56, 860, DRIFT_HEATMAP_HEIGHT - 76};
static const drift_rect heat_bar = {884, 56, 908, DRIFT_HEATMAP_HEIGHT - 76};

/* Mean of the finite values in rows [r0, r1) and columns [c0, c1); NaN if none. */
static float block_mean(const drift_heatmap *h, int r0, int r1, int c0, int c1)
{
    double sum = 0;
    int n = 0;
    for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) {
            float v = h->values[(size_t)r * (size_t)h->cols + (size_t)c];
            if (isfinite(v)) {
                sum += v;
                n++;
            }
        }
    return n ? (float)(sum / n) : NAN;
}

/* The cells [*a, *b) that pixel i of n covers, for `cells` cells. */
static void pixel_cells(int i, int n, int cells, int *a, int *b)
{
    *a = (int)((long long)i * cells / n);
    *b = (int)((long long)(i + 1) * cells / n);
    if (*b <= *a)
        *b = *a + 1;
}

static void draw_cells(drift_image *img, drift_rect area, const drift_heatmap *h, float lo, float hi)
{
    int w = area.x1 - area.x0, ht = area.y1 - area.y0;
    for (int py = 0; py < ht; py++) {
        int r0, r1;
        pixel_cells(ht - 1 - py, ht, h->rows, &r0, &r1); /* row 0 at the bottom */
        float *row = img->data + ((size_t)(area.y0 + py) * (size_t)img->width + (size_t)area.x0) * 3;
        for (int px = 0; px < w; px++) {
            int c0, c1;
            pixel_cells(px, w, h->cols, &c0, &c1);
            drift_colormap_magma((block_mean(h, r0, r1, c0, c1) - lo) / (hi - lo), row + 3 * px);
        }
    }
}

/* The colour bar right of the plot, with value ticks. */
static void draw_colorbar(drift_image *img, drift_rect bar, float lo, float hi)
{
    int ht = bar.y1 - bar.y0;
    for (int py = 0; py < ht; py++) {
        float rgb[3];
        drift_colormap_magma((float)(ht - 1 - py) / (float)(ht - 1), rgb);
        drift_rect line = {bar.x0, bar.y0 + py, bar.x1, bar.y0 + py + 1};
        drift_canvas_fill(img, line, rgb);
    }
    drift_canvas_frame(img, bar, ink);
    drift_axis a = {lo, hi, bar.y1 - 0.5, bar.y0 - 0.5, 0};
    drift_ticks t;
    drift_axis_ticks(&a, 7, 2, &t);
    for (int i = 0; i < t.n; i++) {
        double y = floor(drift_axis_pixel(&a, t.value[i])) + 0.5;
        drift_canvas_line(img, drift_canvas_bounds(img), bar.x1, y, bar.x1 + 5, y, 1, ink);
        drift_canvas_text(img, bar.x1 + 9, (int)y - 7, t.text[i], 2, -1, ink);
    }
}

static drift_status check_heatmap(const char *path, const drift_heatmap *h)
{
    if (!h || !h->values)
        return drift_fail(DRIFT_ERR_ARG, "heat map %s: no values given", path ? path : "");
    if (h->rows < 1 || h->cols < 1 || (long long)h->rows * h->cols > (1LL << 28))
        return drift_fail(DRIFT_ERR_ARG, "heat map %s: bad size %d x %d", path, h->rows, h->cols);
    if (isnan(h->vmin) || isnan(h->vmax) || h->vmin > h->vmax || isinf(h->vmin) || isinf(h->vmax))
        return drift_fail(DRIFT_ERR_ARG, "heat map %s: bad colour range vmin %g, vmax %g", path,
                          (double)h->vmin, (double)h->vmax);
    if (!isfinite(h->x_min) || !isfinite(h->x_max))
        return drift_fail(DRIFT_ERR_ARG, "heat map %s: x range must be finite", path);
    if (h->n_yticks < 0 || (h->n_yticks > 0 && (!h->ytick_rows || !h->ytick_labels)))
        return drift_fail(DRIFT_ERR_ARG, "heat map %s: %d y ticks without rows or labels", path,
                          h->n_yticks);
    return DRIFT_OK;
}

/* vmin/vmax, or the data's range when they are equal. */
static void color_range(const drift_heatmap *h, float *lo, float *hi)
{
    *lo = h->vmin;
    *hi = h->vmax;
    if (*lo < *hi)
        return;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < (size_t)h->rows * (size_t)h->cols; i++)
        if (isfinite(h->values[i])) {
            *lo = fminf(*lo, h->values[i]);
            *hi = fmaxf(*hi, h->values[i]);
        }
    if (!(*lo <= *hi)) {
        *lo = 0;
        *hi = 1;
    } else if (*lo == *hi) {
        *lo -= 0.5f;
        *hi += 0.5f;
    }
}

/* The caller's row ticks, or round row numbers when there are none. */
static void heatmap_yticks(const drift_heatmap *h, const drift_axis *ay, drift_ticks *t, int *scale)
{
    for (*scale = 2; *scale >= 1; (*scale)--) {
        if (h->n_yticks == 0) {
            drift_axis rows = {0, h->rows - 1, ay->p0, ay->p1, 0};
            drift_axis_ticks(&rows, 8, *scale, t);
        } else {
            memset(t, 0, sizeof *t);
            for (int i = 0; i < h->n_yticks; i++)
                if (h->ytick_rows[i] >= -0.5 && h->ytick_rows[i] <= h->rows - 0.5 && h->ytick_labels[i])
                    drift_ticks_add(t, h->ytick_rows[i], h->ytick_labels[i], *scale);
        }
        if (t->max_width <= heat_area.x0 - 46)
            return;
    }
    *scale = 1;
}

drift_status drift_plot_heatmap(const char *png_path, const drift_heatmap *h)
{
    drift_status s = check_heatmap(png_path, h);
    drift_image img;
    if (s == DRIFT_OK)
        s = new_canvas(&img, DRIFT_HEATMAP_WIDTH, DRIFT_HEATMAP_HEIGHT);
    if (s != DRIFT_OK)
        return s;
    drift_rect area = heat_area;
    float lo, hi;
    color_range(h, &lo, &hi);
    draw_cells(&img, area, h, lo, hi);
    frame_area(&img, area);
    draw_colorbar(&img, heat_bar, lo, hi);
    drift_axis ax = {h->x_min, h->x_max, area.x0, area.x1, 0};
    drift_ticks t;
    drift_axis_ticks_fit(&ax, 2, &t);
    drift_draw_x_ticks(&img, area, &ax, &t, 2, 0);
    drift_draw_centred(&img, (area.x0 + area.x1) / 2, area.y1 + 42, h->x_label, 2);
    drift_axis ay = {-0.5, h->rows - 0.5, area.y1, area.y0, 0};
    int scale;
    heatmap_yticks(h, &ay, &t, &scale);
    drift_draw_y_ticks(&img, area, &ay, &t, scale, 0);
    if (h->y_label && *h->y_label)
        drift_canvas_text_up(&img, 16, (area.y0 + area.y1) / 2, h->y_label, 2, ink);
    drift_draw_centred(&img, (area.x0 + area.x1) / 2, 18, h->title, 2);
    return save_canvas(png_path, &img);
}

/* ---- line plots ---- */

static const float series_colors[8][3] = {
    {0.16f, 0.42f, 0.72f}, {0.90f, 0.45f, 0.10f}, {0.20f, 0.60f, 0.25f}, {0.80f, 0.18f, 0.20f},
    {0.52f, 0.36f, 0.70f}, {0.50f, 0.34f, 0.26f}, {0.88f, 0.42f, 0.70f}, {0.45f, 0.45f, 0.45f},
};

static double point_x(const drift_series *s, int i) { return s->x ? (double)s->x[i] : (double)i; }

static int point_ok(const drift_series *s, int i, int log_y)
{
    double y = s->y[i];
    return isfinite(point_x(s, i)) && isfinite(y) && (!log_y || y > 0);
}

/* Data extent over all drawable points; returns how many there are. */
static long data_extent(const drift_line_plot *p, double *x0, double *x1, double *y0, double *y1)
{
    long n = 0;
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (int k = 0; k < p->n_series; k++)
        for (int i = 0; i < p->series[k].n; i++) {
            if (!point_ok(&p->series[k], i, p->log_y))
                continue;
            double x = point_x(&p->series[k], i), y = p->series[k].y[i];
            *x0 = fmin(*x0, x), *x1 = fmax(*x1, x);
            *y0 = fmin(*y0, y), *y1 = fmax(*y1, y);
            n++;
        }
    return n;
}

/* Where everything goes in a line plot, from the picture size and texts. */
typedef struct line_layout {
    int scale;           /* text magnification: 2, or 1 in small pictures */
    drift_rect area;     /* the plotting area */
    drift_axis ax, ay;
    drift_ticks xt, yt;
} line_layout;

/* Axes over the data with a margin on y (in log10 units on a log axis). */
static void data_axes(const drift_line_plot *p, drift_axis *ax, drift_axis *ay)
{
    double x0, x1, y0, y1;
    data_extent(p, &x0, &x1, &y0, &y1);
    if (p->log_y)
        y0 = log10(y0), y1 = log10(y1);
    if (x0 == x1)
        x0 -= 1, x1 += 1;
    double pad = y1 > y0 ? 0.05 * (y1 - y0) : (p->log_y ? 0.3 : fmax(1.0, fabs(y0) * 0.1));
    *ax = (drift_axis){x0, x1, 0, 0, 0};
    *ay = (drift_axis){y0 - pad, y1 + pad, 0, 0, p->log_y};
}

/* Top and bottom margins first, then y ticks (whose labels set the left
 * margin), then x ticks that fit the width left. */
static void layout_lines(const drift_line_plot *p, int w, int h, line_layout *L)
{
    int s = L->scale = w >= 640 && h >= 400 ? 2 : 1, th = drift_canvas_text_height(s);
    int has_title = p->title && *p->title, has_xl = p->x_label && *p->x_label;
    int has_yl = p->y_label && *p->y_label;
    data_axes(p, &L->ax, &L->ay);
    L->area.y0 = 8 * s + (has_title ? th + 8 * s : 0) + 4;
    L->area.y1 = h - (6 * s + th + (has_xl ? 8 * s + th : 0) + 8 * s);
    L->ay.p0 = L->area.y1 - 0.5, L->ay.p1 = L->area.y0 + 0.5;
    int max_y = (L->area.y1 - L->area.y0) / (3 * th);
    drift_axis_ticks(&L->ay, max_y < 2 ? 2 : max_y > 8 ? 8 : max_y, s, &L->yt);
    L->area.x0 = 8 * s + (has_yl ? th + 8 * s : 0) + L->yt.max_width + 5 * s + 4;
    L->area.x1 = w - 12 * s - 10;
    L->ax.p0 = L->area.x0 + 0.5, L->ax.p1 = L->area.x1 - 0.5;
    drift_axis_ticks_fit(&L->ax, s, &L->xt);
}

static void draw_series(drift_image *img, drift_rect area, const drift_series *s, int log_y,
                        const drift_axis *ax, const drift_axis *ay, const float rgb[3], double width)
{
    int have_prev = 0;
    double px = 0, py = 0;
    for (int i = 0; i < s->n; i++) {
        if (!point_ok(s, i, log_y)) {
            have_prev = 0;
            continue;
        }
        double x = drift_axis_pixel(ax, point_x(s, i)), y = drift_axis_pixel(ay, s->y[i]);
        drift_canvas_line(img, area, have_prev ? px : x, have_prev ? py : y, x, y, width, rgb);
        px = x, py = y, have_prev = 1;
    }
}

/* The legend box in the top right corner of the plot area; smaller text
 * when it would cover more than half the area's width. */
static void draw_legend(drift_image *img, drift_rect area, const drift_line_plot *p, int scale)
{
    int rows = 0, wmax = 0;
    for (int k = 0; k < p->n_series; k++)
        if (p->series[k].label && *p->series[k].label) {
            rows++;
            int w = drift_canvas_text_width(p->series[k].label, 1);
            wmax = w > wmax ? w : wmax;
        }
    if (!rows)
        return;
    if (scale > 1 && wmax * scale + 31 * scale > (area.x1 - area.x0) / 2)
        scale = 1;
    int line = 12 * scale, pad = 4 * scale;
    drift_rect box = {area.x1 - wmax * scale - 27 * scale - 2 * pad, area.y0 + pad,
                      area.x1 - pad, area.y0 + 3 * pad + rows * line};
    drift_canvas_fill(img, box, white);
    drift_canvas_frame(img, box, ink);
    int y = box.y0 + pad + scale;
    for (int k = 0; k < p->n_series; k++) {
        if (!p->series[k].label || !*p->series[k].label)
            continue;
        double ly = y + 3.5 * scale;
        drift_canvas_line(img, box, box.x0 + pad, ly, box.x0 + pad + 16 * scale, ly, 1.5 * scale,
                          series_colors[k]);
        drift_canvas_text(img, box.x0 + pad + 21 * scale, y, p->series[k].label, scale, -1, ink);
        y += line;
    }
}

static drift_status check_lines(const char *path, const drift_line_plot *p)
{
    if (!p || !p->series || p->n_series < 1 || p->n_series > 8)
        return drift_fail(DRIFT_ERR_ARG, "line plot %s: 1 to 8 series needed", path ? path : "");
    for (int k = 0; k < p->n_series; k++)
        if (p->series[k].n < 1 || !p->series[k].y)
            return drift_fail(DRIFT_ERR_ARG, "line plot %s: series %d has no points", path, k);
    int w = p->width ? p->width : 900, h = p->height ? p->height : 560;
    if (w < 320 || h < 240 || w > 8192 || h > 8192)
        return drift_fail(DRIFT_ERR_ARG, "line plot %s: size %d x %d outside 320x240..8192x8192",
                          path, w, h);
    double x0, x1, y0, y1;
    if (data_extent(p, &x0, &x1, &y0, &y1) == 0)
        return drift_fail(DRIFT_ERR_ARG, "line plot %s: no finite point to draw%s", path,
                          p->log_y ? " (a log axis needs y > 0)" : "");
    return DRIFT_OK;
}

drift_status drift_plot_lines(const char *png_path, const drift_line_plot *p)
{
    drift_status s = check_lines(png_path, p);
    drift_image img;
    if (s == DRIFT_OK)
        s = new_canvas(&img, p->width ? p->width : 900, p->height ? p->height : 560);
    if (s != DRIFT_OK)
        return s;
    line_layout L;
    layout_lines(p, img.width, img.height, &L);
    int sc = L.scale, th = drift_canvas_text_height(sc);
    drift_draw_y_ticks(&img, L.area, &L.ay, &L.yt, sc, 1);
    drift_draw_x_ticks(&img, L.area, &L.ax, &L.xt, sc, 1);
    for (int k = 0; k < p->n_series; k++)
        draw_series(&img, L.area, &p->series[k], p->log_y, &L.ax, &L.ay, series_colors[k], sc == 2 ? 2.0 : 1.5);
    frame_area(&img, L.area);
    draw_legend(&img, L.area, p, sc);
    if (p->y_label && *p->y_label)
        drift_canvas_text_up(&img, 8 * sc + th / 2, (L.area.y0 + L.area.y1) / 2, p->y_label, sc, ink);
    drift_draw_centred(&img, (L.area.x0 + L.area.x1) / 2, L.area.y1 + 6 * sc + th + 8 * sc, p->x_label, sc);
    drift_draw_centred(&img, (L.area.x0 + L.area.x1) / 2, 8 * sc, p->title, sc);
    return save_canvas(png_path, &img);
}

/* ---- image grids ---- */

static drift_status check_grid(const drift_image *images, int n, int border)
{
    if (!images || n < 1)
        return drift_fail(DRIFT_ERR_ARG, "image grid: no images given");
    if (border < 1 || border > 2)
        return drift_fail(DRIFT_ERR_ARG, "image grid: border must be 1 or 2 pixels, got %d", border);
    for (int i = 0; i < n; i++)
        if (!images[i].data || images[i].width != images[0].width ||
            images[i].height != images[0].height || images[i].channels != images[0].channels)
            return drift_fail(DRIFT_ERR_ARG, "image grid: image %d differs in size or channels from image 0", i);
    return DRIFT_OK;
}

/* Copies tile src into out with its top-left corner at (x0, y0). */
static void paste(drift_image *out, const drift_image *src, int x0, int y0)
{
    size_t row = (size_t)src->width * (size_t)src->channels;
    for (int y = 0; y < src->height; y++)
        memcpy(out->data + ((size_t)(y0 + y) * (size_t)out->width + (size_t)x0) * (size_t)src->channels,
               src->data + (size_t)y * row, row * sizeof(float));
}

drift_status drift_image_grid(const drift_image *images, int n, int cols, int border,
                              float border_value, drift_image *out)
{
    memset(out, 0, sizeof *out);
    drift_status s = check_grid(images, n, border);
    if (s != DRIFT_OK)
        return s;
    if (cols <= 0)
        cols = (int)ceil(sqrt((double)n));
    cols = cols > n ? n : cols;
    int rows = (n + cols - 1) / cols, w = images[0].width, h = images[0].height;
    int ch = images[0].channels;
    long long gw = (long long)cols * (w + border) + border, gh = (long long)rows * (h + border) + border;
    s = drift_image_check_size(gw, gh, ch, "image grid");
    if (s == DRIFT_OK)
        s = drift_image_alloc(out, (int)gw, (int)gh, ch);
    if (s != DRIFT_OK)
        return s;
    int has_alpha = ch == 2 || ch == 4;
    for (size_t i = 0; i < (size_t)gw * (size_t)gh * (size_t)ch; i++)
        out->data[i] = has_alpha && (int)(i % (size_t)ch) == ch - 1 ? 1.0f : border_value;
    for (int i = 0; i < n; i++)
        paste(out, &images[i], border + (i % cols) * (w + border), border + (i / cols) * (h + border));
    return DRIFT_OK;
}
