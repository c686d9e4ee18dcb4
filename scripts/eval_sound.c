/* eval_sound.c: quality of a sound model against its data set.
 *
 * Trains drift's small audio classifier (audio/classify.h) on the real
 * training clips' log-mels, reports its top-1 accuracy on the held-out
 * real clips, then generates clips for each class's tag and reports how
 * often the classifier recognises the requested class, and the Frechet
 * distance between classifier embeddings of generated and held-out real
 * clips next to the distance between training and held-out real clips
 * (the floor).
 * Usage: eval_sound MANIFEST MODEL [name|family] [CLIPS_PER_CLASS] [STEPS]
 *   name: classes are the clips' first tag (the drum or instrument);
 *   family: the instrument family. */
#include "audio/classify.h"
#include "audio/drift_audio.h"
#include "audio/sound.h"
#include "audio/sounddata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct eval {
    drift_sound_manifest man;
    drift_sound_set train, test;
    drift_sound_params p;
    char *labels[1024];
    int k, dim;
    bool by_family;
} eval;

static const char *label_of(const eval *ev, const drift_sound_item *it)
{
    return ev->by_family ? it->family : it->tags[0];
}

static int label_id(const eval *ev, const char *name)
{
    for (int i = 0; i < ev->k; i++)
        if (!strcmp(ev->labels[i], name))
            return i;
    return -1;
}

static int compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect_labels(eval *ev)
{
    for (int i = 0; i < ev->train.n && ev->k < 1024; i++) {
        const char *l = label_of(ev, &ev->train.items[i]);
        if (l[0] && label_id(ev, l) < 0)
            ev->labels[ev->k++] = (char *)l;
    }
    qsort(ev->labels, (size_t)ev->k, sizeof *ev->labels, compare);
}

/* Features and labels of a set (clips without a known label get -1). */
static float *set_features(const eval *ev, const drift_sound_set *s, int *labels)
{
    float *f = malloc((size_t)s->n * ev->dim * sizeof *f);
    for (int i = 0; f && i < s->n; i++) {
        drift_sound_features(s->mels + (size_t)i * s->n_mels * s->frames, s->n_mels, s->frames,
                             f + (size_t)i * ev->dim);
        labels[i] = label_id(ev, label_of(ev, &s->items[i]));
    }
    return f;
}

static drift_status load(eval *ev, const char *manifest, drift_model *m)
{
    drift_status s = drift_sound_params_from_model(m, &ev->p);
    if (!s)
        s = drift_sound_manifest_load(manifest, &ev->man);
    if (!s)
        s = drift_sound_set_load(&ev->man, &ev->p, 0, &ev->train);
    if (!s)
        s = drift_sound_set_load(&ev->man, &ev->p, 1, &ev->test);
    if (!s) {
        drift_sound_set_normalize(&ev->train, &ev->p);
        drift_sound_set_normalize(&ev->test, &ev->p);
        ev->dim = drift_sound_feature_dim(ev->p.n_mels);
        collect_labels(ev);
    }
    return s;
}

/* Top-1 accuracy on a feature set; embeddings into emb (n, hidden). */
static double accuracy(const drift_classifier *c, const float *f, const int *labels, int n, int dim, float *emb)
{
    int right = 0, counted = 0;
    for (int i = 0; i < n; i++) {
        int pred = drift_classifier_predict(c, f + (size_t)i * dim, emb + (size_t)i * drift_classifier_hidden(c));
        if (labels[i] >= 0)
            counted++, right += pred == labels[i];
    }
    return counted ? (double)right / counted : 0;
}

/* Generates `per` clips for each class and classifies them. */
static drift_status judge_generated(eval *ev, drift_model *m, const drift_classifier *c, int per, int steps,
                                    float *emb, int *n_emb)
{
    drift_sound_engine *e;
    drift_status s = drift_sound_engine_create(m, &e);
    size_t cells = (size_t)ev->p.n_mels * ev->p.frames;
    float *mel = malloc(cells * sizeof *mel), *feat = malloc((size_t)ev->dim * sizeof *feat);
    int total_right = 0, total = 0;
    *n_emb = 0;
    for (int k = 0; !s && k < ev->k; k++) {
        drift_sound_request rq;
        drift_sound_request_defaults(&rq);
        rq.prompt = ev->labels[k];
        rq.count = per;
        rq.steps = steps;
        rq.seed = 1000u * (uint64_t)k;
        float *audio;
        size_t n;
        if ((s = drift_sound_engine_generate(e, &rq, &audio, &n)) != DRIFT_OK)
            break;
        int right = 0;
        for (int i = 0; i < per && !s; i++) {
            s = drift_sound_engine_encode(e, audio + (size_t)i * n, n, mel);
            drift_sound_features(mel, ev->p.n_mels, ev->p.frames, feat);
            int pred = drift_classifier_predict(c, feat, emb + (size_t)(*n_emb)++ * drift_classifier_hidden(c));
            right += pred == k;
        }
        free(audio);
        printf("  %-22s %3d%% (%d/%d)\n", ev->labels[k], 100 * right / per, right, per);
        total_right += right, total += per;
    }
    if (!s)
        printf("generated clips recognised: %.1f%% top-1 over %d classes\n", 100.0 * total_right / total, ev->k);
    free(mel), free(feat);
    drift_sound_engine_free(e);
    return s;
}

static int run(eval *ev, drift_model *m, int per, int steps)
{
    int *ltrain = malloc((size_t)ev->train.n * sizeof *ltrain), *ltest = malloc((size_t)ev->test.n * sizeof *ltest);
    float *ftrain = set_features(ev, &ev->train, ltrain), *ftest = set_features(ev, &ev->test, ltest);
    drift_classifier *c;
    drift_status s = drift_classifier_train(ftrain, ltrain, ev->train.n, ev->dim, ev->k, 64, 400, 1, &c);
    if (s)
        return fprintf(stderr, "eval_sound: %s\n", drift_last_error()), 1;
    int h = drift_classifier_hidden(c), n_gen = ev->k * per;
    float *etrain = malloc((size_t)ev->train.n * h * sizeof *etrain), *etest = malloc((size_t)ev->test.n * h * sizeof *etest);
    float *egen = malloc((size_t)n_gen * h * sizeof *egen);
    printf("classifier on real clips: train %.1f%%, held-out %.1f%% top-1 (%d classes, %d train, %d held-out clips)\n",
           100 * accuracy(c, ftrain, ltrain, ev->train.n, ev->dim, etrain),
           100 * accuracy(c, ftest, ltest, ev->test.n, ev->dim, etest), ev->k, ev->train.n, ev->test.n);
    printf("generated (%d per class, dpm++2m %d steps, guidance 3):\n", per, steps);
    s = judge_generated(ev, m, c, per, steps, egen, &n_gen);
    double fd_gen = 0, fd_floor = 0;
    int nf = ev->train.n < n_gen ? ev->train.n : n_gen;
    if (!s)
        s = drift_frechet_distance(egen, n_gen, etest, ev->test.n, h, &fd_gen);
    if (!s)
        s = drift_frechet_distance(etrain, nf, etest, ev->test.n, h, &fd_floor);
    if (!s)
        printf("Frechet distance (classifier embeddings, %d dims): generated vs held-out real %.3f; "
               "training vs held-out real (floor) %.3f\n", h, fd_gen, fd_floor);
    else
        fprintf(stderr, "eval_sound: %s\n", drift_last_error());
    free(ltrain), free(ltest), free(ftrain), free(ftest), free(etrain), free(etest), free(egen);
    drift_classifier_free(c);
    return s ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 6) {
        fprintf(stderr, "usage: eval_sound MANIFEST MODEL [name|family] [CLIPS_PER_CLASS] [STEPS]\n");
        return 2;
    }
    eval ev = {0};
    ev.by_family = argc > 3 && !strcmp(argv[3], "family");
    int per = argc > 4 ? atoi(argv[4]) : 10, steps = argc > 5 ? atoi(argv[5]) : 25;
    if (per < 2 || steps < 1)
        return fprintf(stderr, "eval_sound: CLIPS_PER_CLASS must be >= 2 and STEPS >= 1\n"), 2;
    drift_model *m;
    if (drift_model_load(argv[2], &m) != DRIFT_OK || load(&ev, argv[1], m) != DRIFT_OK) {
        fprintf(stderr, "eval_sound: %s\n", drift_last_error());
        return 1;
    }
    int rc = ev.k < 2 ? (fprintf(stderr, "eval_sound: fewer than 2 classes\n"), 1) : run(&ev, m, per, steps);
    drift_sound_set_free(&ev.train);
    drift_sound_set_free(&ev.test);
    drift_sound_manifest_free(&ev.man);
    drift_model_free(m);
    return rc;
}
