/* fill.h: smooth hole filling, the first estimate a restoration model
 * (restore.h) is shown under the holes of a picture: planes (c, h, w) of
 * which some pixels are known, the others filled from them.
 *
 * Every kind starts from a push-pull pyramid: known pixels averaged down
 * by 2 x 2 until every pixel of a level is covered, then the gaps filled
 * from the coarser level, bilinearly, on the way back. Then:
 *   HARMONIC     DRIFT_RESTORE_FILL_SWEEPS Gauss-Seidel sweeps towards
 *                the harmonic fill (each hole pixel the mean of its
 *                neighbours): on 50% random pixels of photographs about
 *                1.2 dB closer than push-pull alone;
 *   BIHARMONIC   DRIFT_RESTORE_BIHARMONIC_SWEEPS Gauss-Seidel sweeps of
 *                the biharmonic equation at every level on the way back
 *                (coarse levels give the fine ones their start), which
 *                continues gradients into a hole as well as values;
 *   TENSION      the minimiser over the hole pixels of
 *                    |L u|^2 + t |grad u|^2
 *                (L the graph Laplacian of the pixel grid, |grad u|^2 the
 *                squared differences across its edges, t =
 *                DRIFT_RESTORE_TENSION), a biharmonic spline under
 *                tension: it continues gradients over a few pixels, so
 *                small holes keep their slopes, and levels off like the
 *                harmonic fill beyond 1 / sqrt(t) = 4 pixels, so a large
 *                hole does not carry its rim's slopes across. Solved by
 *                conjugate gradients preconditioned with a multigrid
 *                V-cycle, to DRIFT_RESTORE_TENSION_TOL of the starting
 *                residual.
 * Solved exactly (scipy) on the centre-quarter hole of 69 crops of the
 * training photographs: harmonic 19.32 dB, biharmonic 18.45, tension t =
 * 1/50 .. 1/10 19.40 .. 19.49; on 50% random pixels tension and
 * biharmonic agree within 0.01 dB. */
#ifndef DRIFT_VISION_FILL_H
#define DRIFT_VISION_FILL_H

#include "drift.h"

#include <stddef.h>

typedef enum drift_restore_fill_kind {
    DRIFT_RESTORE_FILL_HARMONIC,
    DRIFT_RESTORE_FILL_BIHARMONIC,
    DRIFT_RESTORE_FILL_TENSION,
} drift_restore_fill_kind;
#define DRIFT_RESTORE_FILL_SWEEPS 20
#define DRIFT_RESTORE_BIHARMONIC_SWEEPS 30
#define DRIFT_RESTORE_TENSION (1.0f / 16.0f)
/* The tension solve stops when its residual has fallen to this share of
 * where it started, or after this many steps. */
#define DRIFT_RESTORE_TENSION_TOL 1e-5f
#define DRIFT_RESTORE_TENSION_ITERS 200

/* Floats of work drift_restore_fill needs for c planes of h x w. */
#define DRIFT_RESTORE_FILL_WORK(c, h, w)                                                                    \
    ((2 * (size_t)(c) + 8) * (size_t)(h) * (size_t)(w) + 4 * ((size_t)(h) + (size_t)(w)) + 256)

/* Fills the holes of planes (c, h, w) in place from the known pixels
 * (known: (h, w), > 0.5 = known; h * w < 2^32). Known pixels keep their
 * values; with no known pixel at all, everything becomes `empty`. work:
 * DRIFT_RESTORE_FILL_WORK(c, h, w) floats. */
void drift_restore_fill(int c, int h, int w, const float *known, drift_restore_fill_kind kind, float empty,
                        float *planes, float *work);

/* "harmonic", "biharmonic", "tension". */
const char *drift_restore_fill_name(drift_restore_fill_kind kind);
drift_status drift_restore_fill_parse(const char *name, drift_restore_fill_kind *out);

/* The plane u (h, w) at position (fy, fx) in its pixel units, bilinearly
 * interpolated, the position clamped to the plane. */
float drift_fill_bilinear(const float *u, int h, int w, float fy, float fx);

/* Position in a plane shrunk by f of pixel i of the full plane (centres
 * aligned). */
static inline float drift_fill_coarse_pos(int i, int f)
{
    return ((float)i + 0.5f) / (float)f - 0.5f;
}

#endif
