/* plotaxes.c: ticks and axes for plots (see plotaxes.h). */
#include "plotaxes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "font.h"

const float drift_plot_ink[3] = {0.13f, 0.13f, 0.15f};
static const float grid_gray[3] = {0.90f, 0.90f, 0.91f};

double drift_axis_pixel(const drift_axis *a, double v)
{
    if (a->log)
        v = v > 0 ? log10(v) : -INFINITY;
    return a->p0 + (v - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

void drift_ticks_add(drift_ticks *t, double value, const char *text, int scale)
{
    if (t->n >= DRIFT_MAX_TICKS)
        return;
    t->value[t->n] = value;
    snprintf(t->text[t->n], sizeof t->text[0], "%s", text);
    int w = drift_canvas_text_width(t->text[t->n], scale);
    t->max_width = w > t->max_width ? w : t->max_width;
    t->n++;
}

/* Round linear values over [lo, hi] (either order), labelled to their step. */
static void linear_ticks(double lo, double hi, int max, int scale, drift_ticks *t)
{
    double v[DRIFT_MAX_TICKS], step;
    int n = drift_nice_ticks(fmin(lo, hi), fmax(lo, hi), max, v, &step);
    for (int i = 0; i < n; i++) {
        char buf[32];
        drift_format_tick(v[i], step, buf, sizeof buf);
        drift_ticks_add(t, v[i], buf, scale);
    }
}

static void add_g(drift_ticks *t, double v, int scale)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%g", v);
    drift_ticks_add(t, v, buf, scale);
}

/* Log axis ticks (see drift_axis_ticks). */
static void log_ticks(const drift_axis *a, int max, int scale, drift_ticks *t)
{
    double d0 = ceil(a->lo - 1e-9), d1 = floor(a->hi + 1e-9);
    if (d1 - d0 >= 2) {
        int stride = (int)ceil((d1 - d0 + 1) / max);
        for (double d = d0; d <= d1; d += stride)
            add_g(t, pow(10, d), scale);
        return;
    }
    static const double mult[3] = {1, 2, 5};
    for (double d = floor(a->lo); d <= ceil(a->hi); d++)
        for (int i = 0; i < 3; i++) {
            double v = mult[i] * pow(10, d), l = log10(v);
            if (l >= a->lo - 1e-9 && l <= a->hi + 1e-9 && t->n < max)
                add_g(t, v, scale);
        }
    if (t->n >= 3)
        return;
    memset(t, 0, sizeof *t);
    linear_ticks(pow(10, a->lo), pow(10, a->hi), max < 5 ? max : 5, scale, t);
}

void drift_axis_ticks(const drift_axis *a, int max, int scale, drift_ticks *t)
{
    memset(t, 0, sizeof *t);
    if (max > DRIFT_MAX_TICKS)
        max = DRIFT_MAX_TICKS;
    if (a->lo == a->hi || max < 1)
        return;
    if (a->log)
        log_ticks(a, max, scale, t);
    else
        linear_ticks(a->lo, a->hi, max, scale, t);
}

void drift_axis_ticks_fit(const drift_axis *a, int scale, drift_ticks *t)
{
    double length = fabs(a->p1 - a->p0);
    for (int max = 10; max >= 2; max--) {
        drift_axis_ticks(a, max, scale, t);
        if (t->n * (t->max_width + 3 * DRIFT_FONT_ADVANCE * scale) <= length)
            return;
    }
}

void drift_draw_x_ticks(drift_image *img, drift_rect area, const drift_axis *ax,
                        const drift_ticks *t, int scale, int grid)
{
    for (int i = 0; i < t->n; i++) {
        double x = floor(drift_axis_pixel(ax, t->value[i])) + 0.5;
        if (grid)
            drift_canvas_line(img, area, x, area.y0, x, area.y1, 1, grid_gray);
        drift_canvas_line(img, drift_canvas_bounds(img), x, area.y1, x, area.y1 + 3 * scale, 1,
                          drift_plot_ink);
        drift_canvas_text(img, (int)x, area.y1 + 6 * scale, t->text[i], scale, 0, drift_plot_ink);
    }
}

void drift_draw_y_ticks(drift_image *img, drift_rect area, const drift_axis *ay,
                        const drift_ticks *t, int scale, int grid)
{
    for (int i = 0; i < t->n; i++) {
        double y = floor(drift_axis_pixel(ay, t->value[i])) + 0.5;
        if (grid)
            drift_canvas_line(img, area, area.x0, y, area.x1, y, 1, grid_gray);
        drift_canvas_line(img, drift_canvas_bounds(img), area.x0 - 3 * scale, y, area.x0, y, 1,
                          drift_plot_ink);
        drift_canvas_text(img, area.x0 - 5 * scale, (int)y - drift_canvas_text_height(scale) / 2,
                          t->text[i], scale, 1, drift_plot_ink);
    }
}

void drift_draw_centred(drift_image *img, int x, int y, const char *s, int scale)
{
    if (!s || !*s)
        return;
    while (scale > 1 && drift_canvas_text_width(s, scale) > img->width - 20)
        scale--;
    int w = drift_canvas_text_width(s, scale);
    if (x - w / 2 < 10)
        x = 10 + w / 2;
    else if (x + (w + 1) / 2 > img->width - 10)
        x = img->width - 10 - (w + 1) / 2;
    drift_canvas_text(img, x, y, s, scale, 0, drift_plot_ink);
}
