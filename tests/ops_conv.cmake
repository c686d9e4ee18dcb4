# Tests of the convolution, linear and shape operators (golden data from
# tests/golden/make_ops_conv.py).
drift_test(test_ops_conv drift_core)
drift_test(test_ops_shape drift_core)
