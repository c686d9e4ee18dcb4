/* op_conv.h: drift's convolution operator, 1-D and 2-D, with its backward.
 *
 * One operator serves both: a 1-D convolution is the 2-D one on a single
 * row (H = 1, KH = 1, no vertical padding). Strided convolution (stride 2)
 * is the U-Net's downsampling. */
#ifndef DRIFT_OP_CONV_H
#define DRIFT_OP_CONV_H

#include "graph.h"
#include "tensor.h"

/* x: (N,Cin,L) with w: (Cout,Cin,K), or x: (N,Cin,H,W) with w: (Cout,Cin,KH,KW);
 * b: (Cout) or NULL.
 * out: (N,Cout,Lo) / (N,Cout,Ho,Wo), Ho = (H + 2*pad - KH)/stride + 1 (same for W).
 * Zero padding, the same stride and padding in both spatial dimensions.
 * Gradients flow to x, w and b, each only if it needs one. */
drift_tensor *drift_conv(drift_graph *g, drift_tensor *x, drift_tensor *w, drift_tensor *b,
                         int stride, int pad);

#endif
