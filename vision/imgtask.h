/* imgtask.h: drift's image tasks: generate, denoise, inpaint and upscale
 * pictures with one trained model, and no task-specific training.
 *
 * Restoration runs core/inverse's constrained samplers (DDRM, RePaint,
 * ILVR) with an unconditional model, or samples a conditional restoration
 * model (restore.h: upscaling and inpainting), on overlapping tiles at
 * the model's size. Tiles are blended with
 * feathered weights (linear ramps over the overlap), so pictures of any
 * size come out without seams; the work memory is a fixed number of tiles
 * whatever the picture's size (plus the input and output pictures and one
 * weight plane). Tiles the task does not touch (inpainting tiles without a
 * hole pixel) are copied, not sampled.
 *
 * Colour: a gray model restores each colour channel of an RGB picture as
 * its own sample; a colour model restores a gray picture as three equal
 * channels and returns their mean. An alpha channel is carried through
 * (repeated over each block when upscaling).
 *
 * Inpainting masks: WHITE (> 0.5 after conversion to gray) marks the hole
 * to fill, black the pixels to keep. The mask must have the picture's size.
 *
 * Noise levels are standard deviations in the picture's [0, 1] units. A
 * negative sigma asks drift to estimate it (drift_image_estimate_sigma).
 * Each tile's sample draws its noise from its own stream (seed, tile
 * index), so results depend only on the inputs, seed and options. */
#ifndef DRIFT_VISION_IMGTASK_H
#define DRIFT_VISION_IMGTASK_H

#include "drift.h"
#include "image.h"
#include "inverse.h"

typedef enum drift_imgtask_kind {
    DRIFT_IMGTASK_DENOISE,
    DRIFT_IMGTASK_INPAINT,
    DRIFT_IMGTASK_UPSCALE,
} drift_imgtask_kind;

/* Denoising runs DDRM from the noise level down in this many levels by
 * default: one level is the posterior mean at the noise level, the best
 * PSNR at every sigma on the tuning pictures of both image presets
 * (scripts/eval_images.sh); more levels give sharper posterior samples
 * with a lower PSNR. */
#define DRIFT_IMGTASK_DENOISE_STEPS 1

/* A conditional restoration model (restore.h) samples this many DDIM
 * steps by default: one is its estimate of the mean picture given the
 * degraded one, which is what PSNR rewards. */
#define DRIFT_IMGTASK_RESTORE_STEPS 1
/* ... and averages this many draws per tile, a closer estimate of that
 * mean: on the photographs of scripts/eval_images.py, 4 draws against 1
 * gain 0.03-0.09 dB on the tuning photograph and 0.04-0.11 dB on the
 * evaluation ones in every task, at 4 times the time. */
#define DRIFT_IMGTASK_RESTORE_DRAWS 4

typedef struct drift_imgtask_options {
    drift_imgtask_kind kind;
    drift_inverse_method method; /* denoise: ddrm; inpaint: repaint or ddrm; upscale: ddrm or ilvr */
    int steps;                   /* 0: the method's default (denoise: DRIFT_IMGTASK_DENOISE_STEPS) */
    int draws;                   /* restoration models: samples averaged per tile; 0 = DRIFT_IMGTASK_RESTORE_DRAWS */
    uint64_t seed;
    double sigma;                /* denoise: noise std in [0, 1] units, < 0 = estimate */
    double eta;                  /* DDRM's fresh noise per level in [0, 1]; < 0 = its default */
    int scale;                   /* upscale: 2 or 4 */
    const drift_image *mask;     /* inpaint: white = hole, the picture's size */
    int tile;                    /* tile side in output pixels; 0 = the model's training size */
    int overlap;                 /* pixels shared by neighbouring tiles; 0 = tile / 4 */
    int batch;                   /* samples per network call; 0 = 8 */
    void (*progress)(void *user, long done, long total); /* in denoiser calls x tiles */
    void *progress_user;
} drift_imgtask_options;

void drift_imgtask_defaults(drift_imgtask_options *o, drift_imgtask_kind kind);

/* The model's training size (its task JSON's "image_size"), or 32. */
int drift_model_image_size(const drift_model *m);

/* Runs the task on `in` into *out (allocated here; left empty on failure).
 * The message of a failure names the bad value. */
drift_status drift_imgtask_run(drift_model *m, const drift_imgtask_options *o, const drift_image *in,
                               drift_image *out);

/* Noise std of a picture: the median absolute value of its finest
 * diagonal Haar wavelet coefficients (orthonormal, per 2 x 2 block) over
 * 0.6745, the median over colour channels (Donoho and Johnstone 1994).
 * Fails on pictures smaller than 2 x 2. */
drift_status drift_image_estimate_sigma(const drift_image *img, double *sigma);

/* ---- tiling ------------------------------------------------------------ */

/* A tile: its top-left corner in output pixels. */
typedef struct drift_tile {
    int x, y;
    long index; /* in row-major tile order */
} drift_tile;

/* Fills out (n, channels, tile, tile) for n tiles; returns a status. */
typedef drift_status (*drift_tile_fn)(void *user, int n, const drift_tile *tiles, float *out);

/* Covers a (channels, height, width) output with tiles of side `tile`
 * overlapping by `overlap`, corners on multiples of `unit` (1, or the
 * upscaling factor so input tiles line up), calls fn with up to `batch`
 * tiles at a time and blends their outputs with feathered weights into
 * out (channels, height, width). Tiles that stick out of the picture (it
 * is smaller than a tile) are cropped. fn may skip a tile by returning
 * DRIFT_OK and leaving its values NaN: the tile then takes the values of
 * `fallback` (channels, height, width), which may be NULL otherwise. */
drift_status drift_tiles_run(int channels, int height, int width, int tile, int overlap, int unit, int batch,
                             drift_tile_fn fn, void *user, const float *fallback, float *out);

/* Tiles along one side: count, and the corner of tile i. */
int drift_tiles_count(int length, int tile, int overlap, int unit);
int drift_tiles_corner(int length, int tile, int overlap, int unit, int i);

/* ---- generation --------------------------------------------------------- */

typedef struct drift_generate_options {
    int count;         /* samples */
    int class_id;      /* >= 0: that class; -1: cycle through the classes; -2: unconditional */
    double guidance;   /* classifier-free guidance scale (1 = off) */
    int steps;         /* 0: the sampler's default */
    drift_sampler_kind sampler;
    uint64_t seed;
    void (*progress)(void *user, long done, long total);
    void *progress_user;
} drift_generate_options;

void drift_generate_defaults(drift_generate_options *o);

/* Samples o->count pictures of the model's size into images[count]
 * (allocated here, gray or RGB by the model's channels). */
drift_status drift_image_generate(drift_model *m, const drift_generate_options *o, drift_image *images);

#endif
