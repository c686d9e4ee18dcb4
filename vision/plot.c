/* plot.c: heat maps, line plots and image grids as PNG files (see plot.h). */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "colormap.h"
#include "pngio.h"

#define MAX_TICKS 16

static const float ink[3] = {0.13f, 0.13f, 0.15f};
static const float white[3] = {1.0f, 1.0f, 1.0f};
static const float grid_gray[3] = {0.90f, 0.90f, 0.91f};

/* One axis: data interval [lo, hi] drawn over pixels [p0, p1]; log10 when
 * log is set (lo and hi are then already log10 values). */
typedef struct axis {
    double lo, hi;
    double p0, p1;
    int log;
} axis;

static double axis_pixel(const axis *a, double v)
{
    if (a->log)
        v = v > 0 ? log10(v) : -INFINITY;
    return a->p0 + (v - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

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

/* Text centred at x, at scale 2, or 1 if that would not fit the picture. */
static void draw_centred(drift_image *img, int x, int y, const char *s)
{
    if (!s || !*s)
        return;
    int scale = drift_canvas_text_width(s, 2) > img->width - 20 ? 1 : 2;
    int w = drift_canvas_text_width(s, scale);
    x = x - w / 2 < 10 ? 10 + w / 2 : x + (w + 1) / 2 > img->width - 10 ? img->width - 10 - (w + 1) / 2 : x;
    drift_canvas_text(img, x, y + (2 - scale) * 3, s, scale, 0, ink);
}

/* Title centred over [x0, x1] near the top; optional. */
static void draw_title(drift_image *img, const char *title, int x0, int x1)
{
    draw_centred(img, (x0 + x1) / 2, 18, title);
}

/* Largest linear-axis ticks: round values within [lo, hi] (either order). */
static int linear_ticks(double lo, double hi, int max, double *t, double *step)
{
    return drift_nice_ticks(fmin(lo, hi), fmax(lo, hi), max, t, step);
}

/* Ticks of a log axis (a->lo, a->hi in log10): decades when three or more
 * fit, else 1-2-5 steps, else round linear values. Values, not logs. */
static int log_ticks(const axis *a, int max, double *t, double *step)
{
    int n = 0;
    double d0 = ceil(a->lo - 1e-9), d1 = floor(a->hi + 1e-9);
    if (d1 - d0 >= 2) {
        int stride = (int)ceil((d1 - d0 + 1) / max);
        for (double d = d0; d <= d1 && n < max; d += stride)
            t[n++] = pow(10, d);
        *step = 0;
        return n;
    }
    static const double mult[3] = {1, 2, 5};
    for (double d = floor(a->lo); d <= ceil(a->hi) && n < max; d++)
        for (int i = 0; i < 3 && n < max; i++) {
            double v = mult[i] * pow(10, d);
            if (log10(v) >= a->lo - 1e-9 && log10(v) <= a->hi + 1e-9)
                t[n++] = v;
        }
    *step = 0;
    if (n >= 3)
        return n;
    return linear_ticks(pow(10, a->lo), pow(10, a->hi), 5, t, step);
}

static void tick_text(double v, double step, char *buf, size_t size)
{
    if (step > 0)
        drift_format_tick(v, step, buf, size);
    else
        snprintf(buf, size, "%g", v);
}

/* Ticks, labels and optional grid lines below `area` for the x axis. */
static void draw_x_axis(drift_image *img, drift_rect area, const axis *ax, const char *label,
                        int grid)
{
    double t[MAX_TICKS], step = 0;
    int n = ax->lo == ax->hi ? 0 : linear_ticks(ax->lo, ax->hi, 9, t, &step);
    for (int i = 0; i < n; i++) {
        double x = floor(axis_pixel(ax, t[i])) + 0.5;
        if (grid)
            drift_canvas_line(img, area, x, area.y0, x, area.y1, 1, grid_gray);
        drift_canvas_line(img, drift_canvas_bounds(img), x, area.y1, x, area.y1 + 6, 1, ink);
        char buf[32];
        tick_text(t[i], step, buf, sizeof buf);
        drift_canvas_text(img, (int)x, area.y1 + 12, buf, 2, 0, ink);
    }
    draw_centred(img, (area.x0 + area.x1) / 2, area.y1 + 42, label);
}

/* One y tick at pixel row y with its label left of area. */
static void draw_y_tick(drift_image *img, drift_rect area, double y, const char *text, int grid)
{
    y = floor(y) + 0.5;
    if (grid)
        drift_canvas_line(img, area, area.x0, y, area.x1, y, 1, grid_gray);
    drift_canvas_line(img, drift_canvas_bounds(img), area.x0 - 6, y, area.x0, y, 1, ink);
    int scale = drift_canvas_text_width(text, 2) > area.x0 - 46 ? 1 : 2;
    drift_canvas_text(img, area.x0 - 10, (int)y - drift_canvas_text_height(scale) / 2, text, scale,
                      1, ink);
}

/* Numeric ticks of a y axis (linear or log) and its label. */
static void draw_y_axis(drift_image *img, drift_rect area, const axis *ay, const char *label)
{
    double t[MAX_TICKS], step = 0;
    int n = ay->log ? log_ticks(ay, 8, t, &step) : linear_ticks(ay->lo, ay->hi, 8, t, &step);
    for (int i = 0; i < n; i++) {
        char buf[32];
        tick_text(t[i], step, buf, sizeof buf);
        draw_y_tick(img, area, axis_pixel(ay, t[i]), buf, 1);
    }
    if (label && *label)
        drift_canvas_text_up(img, 16, (area.y0 + area.y1) / 2, label, 2, ink);
}

/* ---- heat maps ---- */

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
        for (int px = 0; px < w; px++) {
            int c0, c1;
            pixel_cells(px, w, h->cols, &c0, &c1);
            float rgb[3];
            drift_colormap_magma((block_mean(h, r0, r1, c0, c1) - lo) / (hi - lo), rgb);
            float *p = img->data + ((size_t)(area.y0 + py) * (size_t)img->width + (size_t)(area.x0 + px)) * 3;
            memcpy(p, rgb, sizeof rgb);
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
    axis a = {lo, hi, bar.y1, bar.y0, 0};
    double t[MAX_TICKS], step;
    int n = linear_ticks(lo, hi, 7, t, &step);
    for (int i = 0; i < n; i++) {
        double y = floor(axis_pixel(&a, t[i])) + 0.5;
        drift_canvas_line(img, drift_canvas_bounds(img), bar.x1, y, bar.x1 + 5, y, 1, ink);
        char buf[32];
        drift_format_tick(t[i], step, buf, sizeof buf);
        drift_canvas_text(img, bar.x1 + 9, (int)y - 7, buf, 2, -1, ink);
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

static void draw_heatmap_yticks(drift_image *img, drift_rect area, const drift_heatmap *h)
{
    axis ay = {-0.5, h->rows - 0.5, area.y1, area.y0, 0};
    if (h->n_yticks == 0) { /* row numbers */
        double t[MAX_TICKS], step;
        int n = drift_nice_ticks(0, h->rows - 1, 8, t, &step);
        for (int i = 0; i < n; i++) {
            char buf[32];
            drift_format_tick(t[i], step, buf, sizeof buf);
            draw_y_tick(img, area, axis_pixel(&ay, t[i]), buf, 0);
        }
    }
    for (int i = 0; i < h->n_yticks; i++) {
        double r = h->ytick_rows[i];
        if (r >= -0.5 && r <= h->rows - 0.5 && h->ytick_labels[i])
            draw_y_tick(img, area, axis_pixel(&ay, r), h->ytick_labels[i], 0);
    }
    if (h->y_label && *h->y_label)
        drift_canvas_text_up(img, 16, (area.y0 + area.y1) / 2, h->y_label, 2, ink);
}

drift_status drift_plot_heatmap(const char *png_path, const drift_heatmap *h)
{
    drift_status s = check_heatmap(png_path, h);
    drift_image img;
    if (s == DRIFT_OK)
        s = new_canvas(&img, DRIFT_HEATMAP_WIDTH, DRIFT_HEATMAP_HEIGHT);
    if (s != DRIFT_OK)
        return s;
    drift_rect area = {140, 56, 860, DRIFT_HEATMAP_HEIGHT - 76};
    drift_rect bar = {884, area.y0, 908, area.y1};
    float lo, hi;
    color_range(h, &lo, &hi);
    draw_cells(&img, area, h, lo, hi);
    drift_canvas_frame(&img, (drift_rect){area.x0 - 1, area.y0 - 1, area.x1 + 1, area.y1 + 1}, ink);
    draw_colorbar(&img, bar, lo, hi);
    axis ax = {h->x_min, h->x_max, area.x0, area.x1, 0};
    draw_x_axis(&img, area, &ax, h->x_label, 0);
    draw_heatmap_yticks(&img, area, h);
    draw_title(&img, h->title, area.x0, area.x1);
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

/* Axes over the data with a margin on y (in log10 units on a log axis). */
static void make_axes(const drift_line_plot *p, drift_rect area, axis *ax, axis *ay)
{
    double x0, x1, y0, y1;
    data_extent(p, &x0, &x1, &y0, &y1);
    if (p->log_y)
        y0 = log10(y0), y1 = log10(y1);
    if (x0 == x1)
        x0 -= 1, x1 += 1;
    double pad = y1 > y0 ? 0.05 * (y1 - y0) : (p->log_y ? 0.3 : fmax(1.0, fabs(y0) * 0.1));
    *ax = (axis){x0, x1, area.x0, area.x1 - 1, 0};
    *ay = (axis){y0 - pad, y1 + pad, area.y1 - 1, area.y0, p->log_y};
}

static void draw_series(drift_image *img, drift_rect area, const drift_series *s, int log_y,
                        const axis *ax, const axis *ay, const float rgb[3])
{
    int have_prev = 0;
    double px = 0, py = 0;
    for (int i = 0; i < s->n; i++) {
        if (!point_ok(s, i, log_y)) {
            have_prev = 0;
            continue;
        }
        double x = axis_pixel(ax, point_x(s, i)) + 0.5, y = axis_pixel(ay, s->y[i]) + 0.5;
        drift_canvas_line(img, area, have_prev ? px : x, have_prev ? py : y, x, y, 2.0, rgb);
        px = x, py = y, have_prev = 1;
    }
}

/* The legend box in the top right corner of the plot area. */
static void draw_legend(drift_image *img, drift_rect area, const drift_line_plot *p)
{
    int rows = 0, wmax = 0;
    for (int k = 0; k < p->n_series; k++)
        if (p->series[k].label && *p->series[k].label) {
            rows++;
            int w = drift_canvas_text_width(p->series[k].label, 2);
            wmax = w > wmax ? w : wmax;
        }
    if (!rows)
        return;
    drift_rect box = {area.x1 - wmax - 62, area.y0 + 10, area.x1 - 10, area.y0 + 18 + rows * 24};
    drift_canvas_fill(img, box, white);
    drift_canvas_frame(img, box, ink);
    int y = box.y0 + 8;
    for (int k = 0; k < p->n_series; k++) {
        if (!p->series[k].label || !*p->series[k].label)
            continue;
        drift_canvas_line(img, box, box.x0 + 10, y + 7, box.x0 + 34, y + 7, 3.0, series_colors[k]);
        drift_canvas_text(img, box.x0 + 42, y, p->series[k].label, 2, -1, ink);
        y += 24;
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
    drift_rect area = {110, 56, img.width - 30, img.height - 76};
    axis ax, ay;
    make_axes(p, area, &ax, &ay);
    draw_y_axis(&img, area, &ay, p->y_label);
    draw_x_axis(&img, area, &ax, p->x_label, 1);
    for (int k = 0; k < p->n_series; k++)
        draw_series(&img, area, &p->series[k], p->log_y, &ax, &ay, series_colors[k]);
    drift_canvas_frame(&img, (drift_rect){area.x0 - 1, area.y0 - 1, area.x1 + 1, area.y1 + 1}, ink);
    draw_legend(&img, area, p);
    draw_title(&img, p->title, area.x0, area.x1);
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
