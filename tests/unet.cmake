drift_test(test_unet drift_core)
