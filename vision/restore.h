/* restore.h: conditional restoration models (SR3-style): a network that
 * sees the degraded picture as conditioning planes next to x_t and is
 * trained on pairs degraded on the fly, as the other restoration path to
 * the unconditional model with constrained samplers (imgtask.h).
 *
 * What the network sees for a tile of side T (output pixels), as
 * conditioning channels after the c colour channels of x_t:
 *   c planes   a first estimate at output resolution (the base), as
 *              (v - 0.5) / 0.5: upscaling by f: the input interpolated
 *              bilinearly; inpainting: the kept pixels, and the holes
 *              filled smoothly from them (drift_restore_fill, fill.h:
 *              harmonic, biharmonic or under tension, as the model was
 *              trained);
 *   1 plane    what is known of each pixel: 1 kept and 0 hole for
 *              inpainting, 1/f everywhere for upscaling by f.
 * What it generates is the residual, picture - base, in the model's data
 * units (data_mean 0, data_std DRIFT_RESTORE_RESIDUAL_STD): the network
 * only adds what the classical estimate misses, and a kept pixel's
 * residual is 0. A model of this kind says so in its task JSON
 * ("restore":1); one model serves upscaling by 2 and 4 and inpainting of
 * any mask.
 *
 * After sampling, the result is made consistent with the measurement:
 * kept pixels are copied back, and every f x f block is shifted to the
 * input pixel's value on average (drift_restore_project). */
#ifndef DRIFT_VISION_RESTORE_H
#define DRIFT_VISION_RESTORE_H

#include "drift.h"
#include "fill.h"
#include "imgdata.h"

/* Conditioning planes for a model of c colour channels: c + 1. */
#define DRIFT_RESTORE_COND_PLANES(c) ((c) + 1)
/* The base planes are shown to the network as (v - 0.5) / 0.5. */
#define DRIFT_RESTORE_BASE_MEAN 0.5f
#define DRIFT_RESTORE_BASE_STD 0.5f
/* The residual's scale in [0, 1] picture units (its RMS on photographs is
 * of this order), the model's data_std. */
#define DRIFT_RESTORE_RESIDUAL_STD 0.1f

/* out (c, h*f, w*f): in (c, h, w) interpolated bilinearly, pixel centres
 * aligned (edges clamped). */
void drift_restore_upsample(int c, int h, int w, int f, const float *in, float *out);

/* Mean of every f x f block: in (c, h*f, w*f) -> out (c, h, w). */
void drift_restore_pool(int c, int h, int w, int f, const float *in, float *out);

/* Makes x (c, H, W) of values in [0, 1] agree with its measurement:
 * upscaling (f > 1, y the (c, H/f, W/f) input): every block shifted so
 * that its mean is y's pixel with its values clamped to [0, 1] (the
 * output is clamped when written, and a plain shift would then lose the
 * agreement); inpainting (known != NULL, y (c, H, W)): known pixels set
 * to y's. */
void drift_restore_project(int c, int H, int W, int f, const float *known, const float *y, float *x);

/* True if the model is a conditional restoration model (its task JSON
 * says "restore" and it has c + 1 conditioning planes). */
bool drift_restore_model(const drift_model *m);

/* The fill a restoration model was trained with (its task JSON's "fill";
 * absent: harmonic). */
drift_restore_fill_kind drift_restore_model_fill(const drift_model *m);

/* ---- training: pairs degraded on the fly ------------------------------- */

/* Crops of side `size` from a picture set (pictures at least 2 * size on
 * each side), each degraded at random: upscaling by 4 or by 2 (block
 * averages; 30% each), random pixels kept (30-70%; 25%), or one to three
 * rectangular holes up to nearly twice the crop's side (15%; the holes
 * are cut and filled on a context of 2 * size around the crop, so a crop
 * may lie wholly inside one). x0
 * is the residual crop - base over DRIFT_RESTORE_RESIDUAL_STD, `extra`
 * the conditioning planes. */
typedef struct drift_restore_source {
    const drift_picture_set *set;
    int size;
    bool flips;
    drift_restore_fill_kind fill;
    float *work; /* owned: context buffers */
} drift_restore_source;

drift_status drift_restore_source_init(drift_restore_source *src, const drift_picture_set *set, int size,
                                       bool flips, drift_restore_fill_kind fill);
void drift_restore_source_free(drift_restore_source *src);
drift_data_source drift_restore_source_data(drift_restore_source *src);

#endif
