/* classify.c: the audio evaluation classifier over log-mels (see
 * classify.h). */
#include "classify.h"

drift_classifier_config drift_sound_classifier_config(int n_mels, int k)
{
    drift_classifier_config c = drift_classifier_config_default(1, n_mels, k);
    c.base_channels = 32;
    c.n_levels = 3;
    return c;
}

drift_status drift_sound_classifier_train(const float *mels, const int *labels, int n, int n_mels, int frames,
                                          int k, int epochs, uint64_t seed, drift_classifier **out)
{
    *out = NULL;
    drift_classifier_config cfg = drift_sound_classifier_config(n_mels, k);
    drift_classifier_train_options o;
    drift_classifier_train_defaults(&o);
    o.epochs = epochs;
    o.batch = 32;
    o.seed = seed;
    drift_status s = drift_classifier_create(&cfg, seed, out);
    if (!s)
        s = drift_classifier_train(*out, mels, labels, n, &frames, &o);
    if (s) {
        drift_classifier_free(*out);
        *out = NULL;
    }
    return s;
}

drift_status drift_sound_classifier_run(drift_classifier *c, const float *mels, int n, int frames, int *pred,
                                        float *emb)
{
    return drift_classifier_run(c, mels, n, &frames, NULL, emb, pred);
}
