/* conv_kernels.h: direct "same" convolution kernels for drift_conv.
 *
 * A stride-1 convolution with an odd kernel (KH x KW) and padding KH/2,
 * KW/2 keeps the plane size, so on NCHW planes it is a sum of shifted
 * copies: output position p (flat index in an H x W plane) reads input
 * position p + dy*W + dx for each tap (dy, dx), unless that falls outside
 * the plane. The kernels here compute it directly from the NCHW tensors,
 * without column matrices: vectors of 16 positions, a block of output
 * channels in registers, masked loads for the plane's edges. The same
 * kernel gives the input gradient: a "same" convolution of dY with the
 * kernel flipped and its channel axes swapped. The weight gradient has
 * its own direct kernel for 3 and 3x3 taps.
 *
 * The wide kernels use AVX-512 and are chosen at run time; on other CPUs
 * drift_conv_direct_available() is false and drift_conv keeps its
 * im2col + GEMM path. A scalar version of the kernel with the same
 * blocking serves tests (drift_conv_direct_force_scalar). */
#ifndef DRIFT_CONV_KERNELS_H
#define DRIFT_CONV_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

/* Sizes of one "same" convolution: x (N,Cin,H,W), w (Cout,Cin,KH,KW),
 * y (N,Cout,H,W); KH, KW odd. A 1-D one has h = kh = 1. */
/* Largest kernel (taps = KH * KW) the direct kernels take. */
#define DRIFT_CONV_SAME_MAX_TAPS 49

typedef struct drift_conv_same {
    int n, cin, cout, h, w, kh, kw;
} drift_conv_same;

/* True when the direct kernels are in use: the CPU has AVX-512 (or the
 * scalar kernels are forced) and they have not been turned off. */
bool drift_conv_direct_available(void);

/* For tests and benchmarks: off makes drift_conv use im2col + GEMM;
 * force_scalar runs the direct path with the portable scalar kernels. */
void drift_conv_direct_enable(bool on);
void drift_conv_direct_force_scalar(bool on);

/* Floats of scratch the calls below need for shape s. */
size_t drift_conv_same_scratch(const drift_conv_same *s);

/* Weights in the forward kernel's order: drift_conv_same_packed_floats
 * floats. With `transposed`, w is read as (Cin,Cout,KH,KW) flipped in both
 * spatial axes: the kernel of the input gradient of a "same" convolution
 * with weight w (s then has the gradient's shape: cin = the forward's
 * cout). w: (Cout,Cin,KH,KW) [or (Cin,Cout,KH,KW) transposed]. */
size_t drift_conv_same_packed_floats(const drift_conv_same *s);
void drift_conv_same_pack(const drift_conv_same *s, const float *w, bool transposed, float *wp);

/* y = bias + conv(x, w), or y += conv(x, w) with `accumulate` (bias then
 * ignored; may be NULL), w packed by drift_conv_same_pack.
 * x: (N,Cin,H,W), bias: (Cout), y: (N,Cout,H,W).
 * scratch: drift_conv_same_scratch floats. */
void drift_conv_same_forward(const drift_conv_same *s, const float *x, const float *wp, const float *bias,
                             float *y, bool accumulate, float *scratch);

/* True when drift_conv_same_weight_grad takes shape s: 3 or 3x3 taps and
 * at least as many output channels as a tile has (3 or 8). */
bool drift_conv_same_weight_grad_supported(const drift_conv_same *s);

/* gw += the weight gradient of the "same" convolution of x: for every
 * output channel co, input channel ci and tap, the sum over samples and
 * positions of dy[co] times x[ci] shifted by the tap (zero outside the
 * plane). Sums are in a fixed order whatever the thread count.
 * x: (N,Cin,H,W), dy: (N,Cout,H,W), gw: (Cout,Cin,KH,KW).
 * scratch: drift_conv_same_scratch floats. */
void drift_conv_same_weight_grad(const drift_conv_same *s, const float *x, const float *dy, float *gw,
                                 float *scratch);

#endif
