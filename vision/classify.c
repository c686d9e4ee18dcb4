/* classify.c: the image classifier of drift's evaluation (see classify.h). */
#include "classify.h"

#include <stdlib.h>

#include "idx.h"

drift_classifier_config drift_image_classifier_config(const drift_image_set *set)
{
    drift_classifier_config c = drift_classifier_config_default(2, set->channels, set->n_classes);
    c.in_mean = 0.5f;
    c.in_std = 0.5f;
    static char *fashion[10];
    for (int i = 0; i < 10; i++)
        fashion[i] = (char *)drift_fashion_mnist_class(i);
    c.class_names = set->n_classes == 10 ? fashion : NULL;
    return c;
}

drift_status drift_image_classifier_train(const drift_image_set *set, const drift_classifier_train_options *o,
                                          drift_classifier **out)
{
    *out = NULL;
    if (!set->labels)
        return drift_fail(DRIFT_ERR_ARG, "image classifier: the training set has no labels");
    drift_classifier_config cfg = drift_image_classifier_config(set);
    drift_status s = drift_classifier_create(&cfg, o->seed, out);
    int spatial[2] = {set->height, set->width};
    if (!s)
        s = drift_classifier_train(*out, set->data, set->labels, set->count, spatial, o);
    if (s) {
        drift_classifier_free(*out);
        *out = NULL;
    }
    return s;
}

drift_status drift_image_classifier_accuracy(drift_classifier *c, const drift_image_set *set, float *emb,
                                             double *accuracy)
{
    if (!set->labels)
        return drift_fail(DRIFT_ERR_ARG, "image classifier: the set has no labels");
    int spatial[2] = {set->height, set->width};
    return drift_classifier_accuracy(c, set->data, set->labels, set->count, spatial, emb, accuracy);
}

/* Planar copies of n pictures with the classifier's channels. */
static drift_status to_planar(const drift_image *images, int n, int channels, float *chw)
{
    size_t per = (size_t)channels * images[0].width * images[0].height;
    drift_status s = DRIFT_OK;
    for (int i = 0; !s && i < n; i++) {
        if (images[i].width != images[0].width || images[i].height != images[0].height)
            return drift_fail(DRIFT_ERR_ARG, "image classifier: picture %d is %dx%d, picture 0 is %dx%d", i,
                              images[i].width, images[i].height, images[0].width, images[0].height);
        drift_image conv = {0};
        s = drift_image_convert(&images[i], channels, &conv);
        if (!s)
            drift_image_to_chw(&conv, chw + (size_t)i * per);
        drift_image_free(&conv);
    }
    return s;
}

drift_status drift_image_classifier_run(drift_classifier *c, const drift_image *images, int n, int *pred,
                                        float *emb)
{
    if (n < 1)
        return DRIFT_OK;
    int channels = drift_classifier_get_config(c)->in_channels;
    int spatial[2] = {images[0].height, images[0].width};
    float *chw = malloc((size_t)n * channels * spatial[0] * spatial[1] * sizeof *chw);
    if (!chw)
        return drift_fail(DRIFT_ERR_NOMEM, "image classifier: out of memory for %d pictures", n);
    drift_status s = to_planar(images, n, channels, chw);
    if (!s)
        s = drift_classifier_run(c, chw, n, spatial, NULL, emb, pred);
    free(chw);
    return s;
}
