/* canvas.h: drawing on an RGB drift_image for drift's plots: rectangles,
 * anti-aliased lines, text in the built-in font (font.h), and the choice
 * and printing of round tick values for axes.
 *
 * Coordinates are pixels with (0, 0) at the top-left corner; a pixel's
 * centre is at (x + 0.5, y + 0.5). Everything is clipped to a rectangle. */
#ifndef DRIFT_VISION_CANVAS_H
#define DRIFT_VISION_CANVAS_H

#include <stddef.h>

#include "image.h"

typedef struct drift_rect {
    int x0, y0, x1, y1; /* x0 <= x < x1, y0 <= y < y1 */
} drift_rect;

/* The whole image as a rectangle. */
drift_rect drift_canvas_bounds(const drift_image *img);

/* Fills r (clipped to the image) with rgb. img: (H,W,3) */
void drift_canvas_fill(drift_image *img, drift_rect r, const float rgb[3]);

/* A one-pixel frame just inside r. img: (H,W,3) */
void drift_canvas_frame(drift_image *img, drift_rect r, const float rgb[3]);

/* An anti-aliased line of `width` pixels from (x0,y0) to (x1,y1) with
 * round ends, drawn only inside clip. img: (H,W,3) */
void drift_canvas_line(drift_image *img, drift_rect clip, double x0, double y0, double x1,
                       double y1, double width, const float rgb[3]);

/* Text in the built-in font magnified `scale` times. align -1, 0, 1 puts x
 * at the left end, the middle or the right end; y is the top of the capital
 * letters. Returns the width drawn. img: (H,W,3) */
int drift_canvas_text(drift_image *img, int x, int y, const char *s, int scale, int align,
                      const float rgb[3]);

/* Text rotated a quarter turn counter-clockwise (read bottom to top),
 * centred on (cx, cy). img: (H,W,3) */
void drift_canvas_text_up(drift_image *img, int cx, int cy, const char *s, int scale,
                          const float rgb[3]);

/* Width and height in pixels of s at `scale` (height without descenders). */
int drift_canvas_text_width(const char *s, int scale);
int drift_canvas_text_height(int scale);

/* Up to max_ticks round values (multiples of 1, 2 or 5 times a power of
 * ten) within [lo, hi]; returns how many were written to ticks, and the
 * spacing in *step. lo < hi, both finite. */
int drift_nice_ticks(double lo, double hi, int max_ticks, double *ticks, double *step);

/* A tick value as short text, with as many decimals as `step` needs. */
void drift_format_tick(double v, double step, char *buf, size_t size);

#endif
