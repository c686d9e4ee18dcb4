/* canvas.c: drawing primitives for plots (see canvas.h). */
#include "canvas.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "font.h"

drift_rect drift_canvas_bounds(const drift_image *img)
{
    drift_rect r = {0, 0, img->width, img->height};
    return r;
}

static drift_rect intersect(drift_rect a, drift_rect b)
{
    drift_rect r = {a.x0 > b.x0 ? a.x0 : b.x0, a.y0 > b.y0 ? a.y0 : b.y0,
                    a.x1 < b.x1 ? a.x1 : b.x1, a.y1 < b.y1 ? a.y1 : b.y1};
    return r;
}

/* Mixes rgb into pixel (x, y) with weight a; the caller clips. */
static void blend(drift_image *img, int x, int y, const float rgb[3], float a)
{
    float *p = img->data + ((size_t)y * (size_t)img->width + (size_t)x) * 3;
    for (int c = 0; c < 3; c++)
        p[c] += (rgb[c] - p[c]) * a;
}

void drift_canvas_fill(drift_image *img, drift_rect r, const float rgb[3])
{
    r = intersect(r, drift_canvas_bounds(img));
    for (int y = r.y0; y < r.y1; y++)
        for (int x = r.x0; x < r.x1; x++)
            blend(img, x, y, rgb, 1.0f);
}

void drift_canvas_frame(drift_image *img, drift_rect r, const float rgb[3])
{
    drift_rect top = {r.x0, r.y0, r.x1, r.y0 + 1}, bottom = {r.x0, r.y1 - 1, r.x1, r.y1};
    drift_rect left = {r.x0, r.y0, r.x0 + 1, r.y1}, right = {r.x1 - 1, r.y0, r.x1, r.y1};
    drift_canvas_fill(img, top, rgb);
    drift_canvas_fill(img, bottom, rgb);
    drift_canvas_fill(img, left, rgb);
    drift_canvas_fill(img, right, rgb);
}

/* Distance from (px, py) to the segment (x0,y0)-(x1,y1). */
static double segment_distance(double px, double py, double x0, double y0, double x1, double y1)
{
    double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ex = px - (x0 + t * dx), ey = py - (y0 + t * dy);
    return sqrt(ex * ex + ey * ey);
}

void drift_canvas_line(drift_image *img, drift_rect clip, double x0, double y0, double x1,
                       double y1, double width, const float rgb[3])
{
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return;
    double reach = width / 2 + 1;
    drift_rect box = {(int)floor(fmin(x0, x1) - reach), (int)floor(fmin(y0, y1) - reach),
                      (int)ceil(fmax(x0, x1) + reach), (int)ceil(fmax(y0, y1) + reach)};
    if (fmax(fabs(x0), fabs(x1)) > 1e6 || fmax(fabs(y0), fabs(y1)) > 1e6)
        return; /* far outside any picture drift draws */
    box = intersect(intersect(box, clip), drift_canvas_bounds(img));
    for (int y = box.y0; y < box.y1; y++) {
        for (int x = box.x0; x < box.x1; x++) {
            double d = segment_distance(x + 0.5, y + 0.5, x0, y0, x1, y1);
            double a = width / 2 + 0.5 - d;
            if (a > 0)
                blend(img, x, y, rgb, a > 1 ? 1.0f : (float)a);
        }
    }
}

int drift_canvas_text_width(const char *s, int scale)
{
    size_t n = s ? strlen(s) : 0;
    return n ? (int)(n * DRIFT_FONT_ADVANCE - 1) * scale : 0;
}

int drift_canvas_text_height(int scale) { return 7 * scale; }

/* Draws glyph pixels through a mapping: horizontal text position (u, v)
 * -> canvas (ox + u, oy + v) when upright, (ox + v, oy - u) when rotated. */
static void draw_string(drift_image *img, int ox, int oy, const char *s, int scale, int rotated,
                        const float rgb[3])
{
    drift_rect bounds = drift_canvas_bounds(img);
    for (size_t i = 0; s[i]; i++) {
        const unsigned char *g = drift_font_glyph((unsigned char)s[i]);
        for (int gy = 0; gy < DRIFT_FONT_HEIGHT; gy++) {
            for (int gx = 0; gx < DRIFT_FONT_WIDTH; gx++) {
                if (!(g[gy] & (0x10 >> gx)))
                    continue;
                int u = ((int)i * DRIFT_FONT_ADVANCE + gx) * scale, v = gy * scale;
                drift_rect r = rotated ? (drift_rect){ox + v, oy - u - scale, ox + v + scale, oy - u}
                                       : (drift_rect){ox + u, oy + v, ox + u + scale, oy + v + scale};
                drift_canvas_fill(img, intersect(r, bounds), rgb);
            }
        }
    }
}

int drift_canvas_text(drift_image *img, int x, int y, const char *s, int scale, int align,
                      const float rgb[3])
{
    if (!s || !*s)
        return 0;
    int w = drift_canvas_text_width(s, scale);
    int left = align < 0 ? x : align == 0 ? x - w / 2 : x - w;
    draw_string(img, left, y, s, scale, 0, rgb);
    return w;
}

void drift_canvas_text_up(drift_image *img, int cx, int cy, const char *s, int scale,
                          const float rgb[3])
{
    if (!s || !*s)
        return;
    int w = drift_canvas_text_width(s, scale);
    draw_string(img, cx - drift_canvas_text_height(scale) / 2, cy + w / 2, s, scale, 1, rgb);
}

int drift_nice_ticks(double lo, double hi, int max_ticks, double *ticks, double *step)
{
    if (!(lo < hi) || !isfinite(lo) || !isfinite(hi) || max_ticks < 1)
        return 0;
    double raw = (hi - lo) / (max_ticks > 1 ? max_ticks - 1 : 1);
    double mag = pow(10, floor(log10(raw)));
    static const double mult[] = {1, 2, 5, 10, 20};
    double s = mag;
    for (int i = 0; i < 5; i++) {
        s = mult[i] * mag;
        if (floor(hi / s + 1e-9) - ceil(lo / s - 1e-9) + 1 <= max_ticks)
            break;
    }
    int n = 0;
    for (double k = ceil(lo / s - 1e-9); k <= floor(hi / s + 1e-9) && n < max_ticks; k++)
        ticks[n++] = k * s;
    *step = s;
    return n;
}

void drift_format_tick(double v, double step, char *buf, size_t size)
{
    if (fabs(v) < step * 1e-6)
        v = 0; /* no "-0" */
    double a = fabs(v);
    if ((a >= 1e6 || (a > 0 && a < 1e-4)) || step < 1e-4) {
        snprintf(buf, size, "%.3g", v);
        return;
    }
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, size, "%.*f", decimals, v);
}
