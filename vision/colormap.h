/* colormap.h: drift's colour map for heat maps and spectrograms.
 *
 * A magma-like map from near black through purple, red and orange to pale
 * yellow. It is drift's own smooth approximation: six control colours in
 * the OKLab perceptual space; lightness L is interpolated linearly between
 * strictly increasing control values, so the map is monotone in lightness
 * (brighter always means larger), and the two colour coordinates a, b
 * follow a Catmull-Rom spline through the control points. */
#ifndef DRIFT_VISION_COLORMAP_H
#define DRIFT_VISION_COLORMAP_H

/* t in [0, 1] (clamped; NaN gives mid gray) -> sRGB rgb[0..2] in [0, 1]. */
void drift_colormap_magma(float t, float rgb[3]);

#endif
