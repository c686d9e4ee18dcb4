# Tests of the convolution kernels' paths (direct AVX-512, portable scalar,
# im2col + GEMM) against a double-precision reference and PyTorch goldens.
drift_test(test_conv_kernels drift_core)
