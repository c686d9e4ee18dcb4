/* conv_cases.h: the convolution cases of golden/ops_conv.bin (written by
 * golden/make_ops_conv.py), shared by the tests that replay them. */
#ifndef DRIFT_TEST_CONV_CASES_H
#define DRIFT_TEST_CONV_CASES_H

#include <stddef.h>

static const char *const conv_cases[] = {"conv1d_k3",      "conv1d_s2",     "conv1d_n1",     "conv2d_k3",
                                         "conv2d_s2_even", "conv2d_s2_odd", "conv2d_1x1",    "conv2d_1x1_n1",
                                         "conv2d_3x5_p2",  "conv2d_wide",   "conv2d_valid",  "conv1d_valid_k5",
                                         "conv2d_big_odd", "conv2d_big_even"};
#define N_CONV_CASES (sizeof conv_cases / sizeof *conv_cases)

#endif
