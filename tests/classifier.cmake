# tests/classifier.cmake: the evaluation classifier (core/classifier), its
# operators (op_pool, op_xent), the Frechet distance (core/frechet) and the
# Fashion-MNIST classifier (vision/classify).
drift_test(test_classifier drift_core drift_vision)
