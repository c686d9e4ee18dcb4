/* inverse.h: constrained samplers for linear inverse problems with one
 * unconditional denoiser: y = H x0 + sigma_y n.
 *
 * Everything works on flat float arrays of `batch` samples of shape
 * (C, H, W) through the drift_denoiser callback and core/schedule.h; the
 * operator H is one of
 *   IDENTITY  y = x0 (denoising at a known sigma_y);
 *   MASK      row selection: y = x0 where keep = 1 (inpainting; the values
 *             of y where keep = 0 are ignored);
 *   POOL      the average over s x s blocks of the last two dimensions
 *             (super-resolution by s): y is (C, H/s, W/s).
 * All three have closed-form SVDs whose nonzero singular values are equal
 * (1 for IDENTITY and MASK; 1/s for POOL: one per block along the block's
 * mean direction, zeros for the s^2 - 1 directions orthogonal to it), so
 * with P the orthogonal projection onto H's row space (P x = x, keep * x,
 * or each block replaced by its mean) and H^+ y the lifted measurement
 * (y, keep * y, or y repeated over each block) every method below is a
 * pixel-wise rule on P and I - P.
 *
 * Methods:
 *  DDRM    Kawar, Elad, Ermon, Song 2022 ("Denoising Diffusion Restoration
 *          Models"), in the variance-exploding view x / alpha with the
 *          paper's three cases per spectral component (eta, eta_b).
 *          With H = IDENTITY the run starts at the level whose sigma_VE
 *          equals sigma_y (earlier levels only reproduce y).
 *  REPAINT Lugmayr et al. 2022: DDPM posterior steps for I - P, the
 *          forward-noised measurement for P, with resampling: after every
 *          `jump_length` levels the state is re-noised back up that many
 *          levels and the stretch is redone, `resample` times in all.
 *          Needs sigma_y = 0.
 *  ILVR    Choi et al. 2021: the same replacement with the low-pass
 *          filter P and no resampling (for POOL: the block mean of the
 *          sample is swapped for that of the noised reference).
 * (SDEdit is drift_sample's x_init / strength start.)
 *
 * Levels are evenly spaced in model time from the top (capped where
 * sigma_VE = 4096, for zero-terminal-SNR schedules) to 0; the output is
 * the constrained data estimate at the last level. Each sample r draws its
 * noise from its own Philox stream (seed, stream0 + r, or streams[r]), so a sample's
 * result does not depend on the batch it was run in or the thread count. */
#ifndef DRIFT_INVERSE_H
#define DRIFT_INVERSE_H

#include <stddef.h>
#include <stdint.h>

#include "sampler.h"
#include "schedule.h"
#include "status.h"

typedef enum drift_inverse_op_kind {
    DRIFT_INVERSE_IDENTITY,
    DRIFT_INVERSE_MASK,
    DRIFT_INVERSE_POOL,
} drift_inverse_op_kind;

typedef struct drift_inverse_op {
    drift_inverse_op_kind kind;
    int channels, height, width; /* one sample: (C, H, W) */
    const float *keep;           /* MASK: (batch, C, H, W), 1 = measured, 0 = unknown */
    int factor;                  /* POOL: s >= 1; H and W divisible by s */
} drift_inverse_op;

typedef enum drift_inverse_method {
    DRIFT_INVERSE_DDRM,
    DRIFT_INVERSE_REPAINT,
    DRIFT_INVERSE_ILVR,
} drift_inverse_method;

/* "ddrm", "repaint", "ilvr"; parse fails with a message listing them. */
const char *drift_inverse_method_name(drift_inverse_method m);
drift_status drift_inverse_method_parse(const char *name, drift_inverse_method *m);

typedef struct drift_inverse_options {
    drift_inverse_method method;
    int steps;          /* levels at which the denoiser is called (before resampling) */
    double sigma_y;     /* measurement noise std, in the denoiser's data units (DDRM only) */
    double eta, eta_b;  /* DDRM: 0.85, 1 */
    int jump_length;    /* RePaint: levels per resampled stretch (10) */
    int resample;       /* RePaint: passes over each stretch (1 = none; 5) */
    uint64_t seed, stream0;
    const uint64_t *streams; /* (batch) each sample's noise stream; NULL: stream0 + r */
    void (*progress)(void *user, int call, int total);
    void *progress_user;
} drift_inverse_options;

/* Defaults for a method (DDRM 20 steps, RePaint 50 steps with jumps of 5
 * and 4 passes, ILVR 50 steps). */
void drift_inverse_defaults(drift_inverse_options *o, drift_inverse_method method);

/* Denoiser calls a run makes. */
long drift_inverse_calls(const drift_inverse_options *o);

/* Floats per measurement of one sample: C H W, or C (H/s) (W/s) for POOL. */
size_t drift_inverse_measure_dim(const drift_inverse_op *op);

/* Checks the options and operator; the message names the bad value. */
drift_status drift_inverse_check(const drift_schedule *s, const drift_inverse_options *o, const drift_inverse_op *op);

/* y: (batch, measure_dim) measurements; x: (batch, C, H, W) receives the
 * restored samples, in the denoiser's data units. */
drift_status drift_inverse_solve(const drift_schedule *s, const drift_denoiser *d, const drift_inverse_options *o,
                                 const drift_inverse_op *op, int batch, const float *y, float *x);

/* The operator itself, for callers and tests. x: (batch, C, H, W);
 * y: (batch, measure_dim). MASK writes keep * x. */
void drift_inverse_apply(const drift_inverse_op *op, int batch, const float *x, float *y);

/* H^+ y: y (batch, measure_dim) -> (batch, C, H, W) (MASK: keep * y;
 * POOL: each value repeated over its s x s block). */
void drift_inverse_lift(const drift_inverse_op *op, int batch, const float *y, float *x);

#endif
