# Tests of parameter sets, the optimiser and safetensors checkpoints.
drift_test(test_params_optim drift_core)
drift_test(test_safetensors drift_core)
