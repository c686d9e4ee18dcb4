/* plotaxes.h: axes for drift's plots: mapping data to pixels (linear or
 * log), choosing round tick values that fit, and drawing ticks, tick
 * labels, grid lines and centred titles. Used by plot.c. */
#ifndef DRIFT_VISION_PLOTAXES_H
#define DRIFT_VISION_PLOTAXES_H

#include "canvas.h"

#define DRIFT_MAX_TICKS 16

/* Data interval [lo, hi] drawn over pixels p0 .. p1 (p1 < p0 for a y axis
 * growing upwards). On a log axis lo and hi are log10 values. */
typedef struct drift_axis {
    double lo, hi;
    double p0, p1;
    int log;
} drift_axis;

/* The pixel coordinate of data value v (-inf for v <= 0 on a log axis). */
double drift_axis_pixel(const drift_axis *a, double v);

typedef struct drift_ticks {
    int n;
    double value[DRIFT_MAX_TICKS];  /* data values (not logs) */
    char text[DRIFT_MAX_TICKS][32]; /* labels */
    int max_width;                  /* widest label in pixels at the scale given */
} drift_ticks;

/* At most max round ticks over a: multiples of 1, 2, 5 x 10^k on a linear
 * axis; decades on a log axis spanning three or more, else 1-2-5 values,
 * else round linear values. None if lo == hi. */
void drift_axis_ticks(const drift_axis *a, int max, int scale, drift_ticks *t);

/* As many ticks (up to 10) as fit along the axis with labels at least three
 * characters apart. */
void drift_axis_ticks_fit(const drift_axis *a, int scale, drift_ticks *t);

/* Adds a tick with its own label (e.g. "1 kHz" at a row). */
void drift_ticks_add(drift_ticks *t, double value, const char *text, int scale);

/* Tick marks and labels below area (x) or left of it (y), with light grid
 * lines across area when grid is set. img: (H,W,3) */
void drift_draw_x_ticks(drift_image *img, drift_rect area, const drift_axis *ax,
                        const drift_ticks *t, int scale, int grid);
void drift_draw_y_ticks(drift_image *img, drift_rect area, const drift_axis *ay,
                        const drift_ticks *t, int scale, int grid);

/* s centred at x with its top at y, at `scale`, or smaller if it would not
 * fit the picture; kept 10 pixels inside the edges. NULL or "" draws nothing. */
void drift_draw_centred(drift_image *img, int x, int y, const char *s, int scale);

/* The colour of text, frames and ticks. */
extern const float drift_plot_ink[3];

#endif
