/* classify.h: the Fashion-MNIST classifier drift's image evaluation uses
 * (scripts/eval_images.sh): core/classifier.h's small CNN on 1-channel
 * pictures (base 16 channels, two stride-2 levels, a 64-wide embedding),
 * trained on the training split with random horizontal flips. It judges
 * class-conditional samples (accuracy on the requested class) and gives
 * the embeddings for Frechet distances between samples and the test set. */
#ifndef DRIFT_VISION_CLASSIFY_H
#define DRIFT_VISION_CLASSIFY_H

#include "classifier.h"
#include "drift.h"
#include "image.h"
#include "imgdata.h"

/* The classifier's configuration for pictures of `set` (its channels and
 * classes; Fashion-MNIST's class names when it has 10 classes), inputs
 * normalised as (x - 0.5) / 0.5. */
drift_classifier_config drift_image_classifier_config(const drift_image_set *set);

/* Builds (from o->seed) and trains a classifier on a labelled set. */
drift_status drift_image_classifier_train(const drift_image_set *set, const drift_classifier_train_options *o,
                                          drift_classifier **out);

/* Top-1 accuracy on a labelled set; emb (count, E) if not NULL. The set's
 * pictures must have the size the classifier was trained at. */
drift_status drift_image_classifier_accuracy(drift_classifier *c, const drift_image_set *set, float *emb,
                                             double *accuracy);

/* n pictures of one size (interleaved drift_images, converted to the
 * classifier's channels) -> predicted classes pred (n) and embeddings
 * emb (n, E), either NULL if unwanted. */
drift_status drift_image_classifier_run(drift_classifier *c, const drift_image *images, int n, int *pred,
                                        float *emb);

#endif
