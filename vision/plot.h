/* plot.h: PNG pictures for people: heat maps (spectrograms), line plots
 * (training loss curves) and sheets of sample images.
 *
 * Text is drawn with drift's built-in 5x7 bitmap font (printable ASCII;
 * other bytes show as '?'), scaled 2x (1x in line plots smaller than
 * 640 x 400, and for texts too wide for the picture). Colours of heat maps come from
 * drift's magma-like colour map (colormap.h), monotone in lightness, so
 * larger values always look brighter, also in gray print. Files are
 * written atomically as 8-bit RGB PNGs. */
#ifndef DRIFT_VISION_PLOT_H
#define DRIFT_VISION_PLOT_H

#include "image.h"

/* Size of every heat map picture, in pixels. */
#define DRIFT_HEATMAP_WIDTH 1000
#define DRIFT_HEATMAP_HEIGHT 600

typedef struct drift_heatmap {
    const float *values;
    int rows, cols; /* values[r*cols+c], row 0 drawn at the bottom */
    float vmin, vmax;
    const char *title, *x_label, *y_label;
    double x_min, x_max; /* numeric x ticks */
    int n_yticks;
    const double *ytick_rows;
    const char *const *ytick_labels;
} drift_heatmap;
/* Field meanings:
 * - values: rows x cols finite values (NaN cells are drawn gray). The
 *   columns fill the plot's width and the rows its height; when there are
 *   more cells than pixels, each pixel shows the mean of the cells it covers.
 * - vmin < vmax: the colour range; values outside are clamped. If
 *   vmin == vmax, the range is the data's own minimum and maximum.
 * - title, x_label, y_label: optional (NULL or "" for none).
 * - x_min, x_max: the x values of the left edge of column 0 and the right
 *   edge of the last column (e.g. seconds); ticks at round numbers between.
 *   x_min == x_max means no x ticks. Must be finite.
 * - ytick_rows[i], ytick_labels[i], i < n_yticks: a tick at the centre of
 *   row ytick_rows[i] (fractional rows allowed; row 0 is the bottom one)
 *   with its label (e.g. "1 kHz"); ticks outside the rows are skipped.
 *   n_yticks == 0 labels round row numbers instead.
 * Text too wide for the picture at 2x is drawn at 1x. */

/* Draws h into a DRIFT_HEATMAP_WIDTH x DRIFT_HEATMAP_HEIGHT PNG with a
 * colour bar. Fails (writing nothing) on missing values, sizes < 1, NaN or
 * reversed vmin/vmax, non-finite x range, or n_yticks > 0 without arrays. */
drift_status drift_plot_heatmap(const char *png_path, const drift_heatmap *h);

typedef struct drift_series {
    const float *x; /* n x values, increasing or not; NULL means 0, 1, ..., n-1 */
    const float *y; /* n y values; non-finite points (and y <= 0 on a log axis) leave a gap */
    int n;
    const char *label; /* legend text; NULL or "" leaves the series out of the legend */
} drift_series;

typedef struct drift_line_plot {
    const drift_series *series;
    int n_series;              /* 1 to 8; colours are distinct per series */
    const char *title, *x_label, *y_label;
    int log_y;                 /* nonzero: logarithmic y axis */
    int width, height;         /* picture size; 0 means 900 x 560; at least 320 x 240 */
} drift_line_plot;

/* Draws the series as lines over axes with round-number ticks and light
 * grid lines, a legend (top right) and a title; the margins adapt to the
 * tick labels, and the x ticks to the width. Fails on no series, a series with n < 1 or no y, sizes out of
 * range (at most 8192 x 8192), or no drawable point at all. */
drift_status drift_plot_lines(const char *png_path, const drift_line_plot *p);

/* Tiles n images of one size and channel count (gray, gray+alpha, RGB or
 * RGBA) into a grid of `cols` columns (0: ceil(sqrt(n))) with a border of
 * `border` pixels (1 or 2) around and between tiles, of gray level
 * border_value (alpha 1). The result *out is allocated here:
 * width = cols * (w + border) + border, height = rows * (h + border) + border,
 * rows = ceil(n / cols); unused cells are filled with the border value. */
drift_status drift_image_grid(const drift_image *images, int n, int cols, int border,
                              float border_value, drift_image *out);

#endif
