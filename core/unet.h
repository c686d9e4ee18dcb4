/* unet.h: drift's U-Net, one implementation for 1-D (N,C,L) sequences and
 * spectrograms and 2-D (N,C,H,W) images.
 *
 * Structure (the DDPM family): input conv; sinusoidal time embedding
 * through a two-layer MLP, added in every residual block; levels of
 * residual blocks with stride-2 convs between them, self-attention (and
 * cross-attention to a tag sequence, when conditioned on tags) at chosen
 * levels; a middle of residual, attention, residual; an up path of
 * res_blocks+1 residual blocks per level on the concatenation with a skip,
 * nearest x2 + conv between levels; output group norm, SiLU, conv.
 *
 * The "ref" configuration (drift_unet_ref_config) is defined parameter for
 * parameter like tests/golden/unet_ref.py, so PyTorch can be compared with
 * it; its parameter names are PyTorch's state_dict names. */
#ifndef DRIFT_UNET_H
#define DRIFT_UNET_H

#include <stdint.h>

#include "graph.h"
#include "params.h"
#include "rng.h"

#define DRIFT_UNET_MAX_LEVELS 6

typedef struct drift_unet_config {
    int dims;             /* 1: (N,C,L); 2: (N,C,H,W) */
    int in_channels;      /* channels of x_t */
    int cond_channels;    /* extra input channels concatenated to x_t (0 = none) */
    int out_channels;     /* channels predicted (normally in_channels) */
    int base_channels;    /* channels of the first level */
    int n_levels;
    int mults[DRIFT_UNET_MAX_LEVELS]; /* level l has base_channels * mults[l] */
    int res_blocks;       /* per level on the way down (up: res_blocks + 1) */
    int groups;           /* group-norm groups */
    unsigned attn_levels; /* bit l: attention after each residual block of level l */
    int mid_attention;    /* attention in the middle (1) or not (0) */
    int heads;            /* attention heads */
    float dropout;        /* before the second conv of each residual block */
    int temb_in;          /* sinusoidal embedding width */
    int temb_dim;         /* time embedding width */
    int n_classes;        /* class conditioning: embedding added to the time embedding (0 = none) */
    int vocab_size;       /* tag conditioning: tag embedding table size (0 = none) */
    int ctx_dim;          /* tag embedding width */
    int max_tags;         /* tags per sample (padded with -1) */
} drift_unet_config;

/* Conditioning for one forward pass; every field optional. Rows with class
 * -1 or all tags -1 are unconditional (classifier-free guidance). */
typedef struct drift_unet_cond {
    const int *class_ids;     /* (N) */
    const int *tag_ids;       /* (N, max_tags) */
    const float *extra;       /* (N, cond_channels, spatial...) */
} drift_unet_cond;

typedef struct drift_unet drift_unet;

/* The ref configuration for 1-D (80 mel bins) or 2-D (1 channel) inputs. */
drift_unet_config drift_unet_ref_config(int dims, int in_channels);

/* Checks a configuration; a readable message on failure. */
drift_status drift_unet_check_config(const drift_unet_config *cfg);

/* Builds the network with PyTorch's default initialisation from seed. */
drift_status drift_unet_create(const drift_unet_config *cfg, uint64_t seed, drift_unet **out);
void drift_unet_free(drift_unet *u);

const drift_unet_config *drift_unet_config_of(const drift_unet *u);
drift_params *drift_unet_params(drift_unet *u);

/* x: (N, in_channels, L) or (N, in_channels, H, W); t: N model timesteps.
 * Spatial sizes must be divisible by 2^(n_levels-1).
 * Returns (N, out_channels, ...) from the graph, or NULL (graph failed).
 * dropout_rng may be NULL when dropout is 0 or gradients are off. */
drift_tensor *drift_unet_forward(drift_graph *g, drift_unet *u, drift_tensor *x, const float *t,
                                 const drift_unet_cond *cond, drift_rng *dropout_rng);

/* Multiply-adds x2 of convolutions and linear layers for one sample. */
double drift_unet_flops(const drift_unet_config *cfg, const int *spatial);

#endif
