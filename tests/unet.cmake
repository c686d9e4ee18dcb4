drift_test(test_unet drift_core)
drift_test(test_train drift_core)
drift_test(test_elbo drift_core)
