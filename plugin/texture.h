/* texture.h: drift's "diffusion texture" LV2 effect: audio and control
 * ports only, so the simplest hosts (lv2apply, lv2file) can run it.
 *
 * Each 1024-sample Hann-windowed frame (hop 256, 75% overlap) has its
 * magnitudes (a) smeared across frequency by blending them with a
 * 17-bin moving average ("smear") and (b) scaled by exp(a z - a^2),
 * a = 1.5 amount (which keeps the expected power),
 * where z is Gaussian noise smoothed across frequency (9 bins) and across
 * time (a one-pole with coefficient 0.9), renormalised to unit variance:
 * a slowly drifting random walk over the spectrum. The input's phases are
 * kept, and frames are overlap-added with the same window (divided by the
 * window's squared overlap, 1.5). At amount = smear = 0 the output is the
 * input delayed by exactly the reported latency, 1024 samples.
 *
 * Noise comes from Philox (core/rng.h) keyed by the seed control and the
 * frame number since activation, so the same input and settings give the
 * same output bit for bit.
 *
 * Ports: 0 in, 1 out (audio); 2 amount [0, 1]; 3 smear [0, 1];
 * 4 seed; 5 latency (output, lv2:reportsLatency). */
#ifndef DRIFT_PLUGIN_TEXTURE_H
#define DRIFT_PLUGIN_TEXTURE_H

#include <lv2/core/lv2.h>

#define DRIFT_TEXTURE_N 1024
#define DRIFT_TEXTURE_HOP 256

extern const LV2_Descriptor drift_texture_descriptor;

#endif
