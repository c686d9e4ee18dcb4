# Elementwise, normalisation, attention, embedding and loss operators:
# finite-difference gradients, PyTorch golden data, bad arguments, threads.
drift_test(test_ops_elem drift_core)
drift_test(test_ops_norm_attn drift_core)
