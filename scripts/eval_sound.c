/* eval_sound.c: quality of a sound model against its data set.
 *
 * Trains drift's small audio CNN (audio/classify.h) on the real training
 * clips' log-mels, reports its top-1 accuracy on the held-out
 * real clips, then generates clips for each class's tag and reports how
 * often the classifier recognises the requested class, and the Frechet
 * distance between classifier embeddings of generated and held-out real
 * clips next to the distance between training and held-out real clips
 * (the floor).
 * Usage: eval_sound MANIFEST MODEL [name|family] [CLIPS_PER_CLASS] [STEPS] [label|heldout] [GUIDANCE]
 *   CLIPS_PER_CLASS 0: only the classifier on real clips (the model gives
 *   the log-mel settings);
 *   name: classes are the clips' first tag (the drum or instrument);
 *   family: the instrument family;
 *   label: each class's clips are prompted with the class name alone
 *   ("snare", "piano"); heldout: with the whole tag list of the class's
 *   held-out real clips in turn ("grand piano piano C4 soft"), as a user
 *   would ask for a note. GUIDANCE: classifier-free guidance scale (default:
 *   drift generate's). */
#include "audio/classify.h"
#include "audio/drift_audio.h"
#include "audio/sound.h"
#include "audio/sounddata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct eval {
    drift_sound_manifest man;
    drift_sound_set train, test;
    drift_sound_params p;
    char *labels[1024];
    int k;
    bool by_family;
    bool heldout_prompts;
    float guidance;
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

/* Labels of a set's clips (-1 for a clip without a known label). */
static int *set_labels(const eval *ev, const drift_sound_set *s)
{
    int *labels = malloc((size_t)s->n * sizeof *labels);
    for (int i = 0; labels && i < s->n; i++)
        labels[i] = label_id(ev, label_of(ev, &s->items[i]));
    return labels;
}

/* The labelled clips of a set, packed: *n_out clips into mels and labels. */
static void labelled_only(const drift_sound_set *s, const int *labels, float *mels, int *out_labels, int *n_out)
{
    size_t cells = (size_t)s->n_mels * s->frames;
    *n_out = 0;
    for (int i = 0; i < s->n; i++)
        if (labels[i] >= 0) {
            memcpy(mels + (size_t)*n_out * cells, s->mels + (size_t)i * cells, cells * sizeof *mels);
            out_labels[(*n_out)++] = labels[i];
        }
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
        collect_labels(ev);
    }
    return s;
}

/* Top-1 accuracy on a set's labelled clips; embeddings of all clips into
 * emb (n, E). */
static double accuracy(drift_classifier *c, const drift_sound_set *s, const int *labels, float *emb)
{
    double acc = 0;
    if (drift_classifier_accuracy(c, s->mels, labels, s->n, &s->frames, emb, &acc) != DRIFT_OK)
        fprintf(stderr, "eval_sound: %s\n", drift_last_error());
    return acc;
}

/* The prompt of clip i of class k: its name, or the tags of the class's
 * i-th held-out clip (cycling; the name when it has none). */
static const char *prompt_for(const eval *ev, int k, int i, char *buf, size_t size)
{
    if (!ev->heldout_prompts)
        return ev->labels[k];
    int found = 0, count = 0;
    for (int j = 0; j < ev->test.n; j++)
        count += label_id(ev, label_of(ev, &ev->test.items[j])) == k;
    if (count == 0)
        return ev->labels[k];
    for (int j = 0; j < ev->test.n; j++) {
        const drift_sound_item *it = &ev->test.items[j];
        if (label_id(ev, label_of(ev, it)) != k || found++ != i % count)
            continue;
        size_t used = 0;
        buf[0] = '\0';
        for (int t = 0; t < it->n_tags && used < size; t++)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", t ? " " : "", it->tags[t]);
        return buf;
    }
    return ev->labels[k];
}

/* Generates `per` clips for each class and classifies them. */
static drift_status judge_generated(eval *ev, drift_model *m, drift_classifier *c, int per, int steps,
                                    float *emb, int *n_emb)
{
    drift_sound_engine *e;
    drift_status s = drift_sound_engine_create(m, &e);
    size_t cells = (size_t)ev->p.n_mels * ev->p.frames;
    float *mel = malloc(cells * sizeof *mel);
    int total_right = 0, total = 0;
    *n_emb = 0;
    for (int k = 0; !s && k < ev->k; k++) {
        int right = 0;
        /* Label prompts: one request for all `per` clips; held-out tags: one each. */
        int batches = ev->heldout_prompts ? per : 1, each = ev->heldout_prompts ? 1 : per;
        for (int b = 0; b < batches && !s; b++) {
            char buf[512];
            drift_sound_request rq;
            drift_sound_request_defaults(&rq);
            rq.prompt = prompt_for(ev, k, b, buf, sizeof buf);
            rq.count = each;
            rq.steps = steps;
            rq.guidance = ev->guidance;
            rq.seed = 1000u * (uint64_t)k + (uint64_t)b;
            float *audio;
            size_t n;
            if ((s = drift_sound_engine_generate(e, &rq, &audio, &n)) != DRIFT_OK)
                break;
            for (int i = 0; i < each && !s; i++) {
                s = drift_sound_engine_encode(e, audio + (size_t)i * n, n, mel);
                int pred = -1;
                if (!s)
                    s = drift_sound_classifier_run(c, mel, 1, ev->p.frames, &pred,
                                                   emb + (size_t)(*n_emb)++ * drift_classifier_embed_dim(c));
                right += pred == k;
            }
            free(audio);
        }
        printf("  %-22s %3d%% (%d/%d)\n", ev->labels[k], 100 * right / per, right, per);
        total_right += right, total += per;
    }
    if (!s)
        printf("generated clips recognised: %.1f%% top-1 over %d classes\n", 100.0 * total_right / total, ev->k);
    free(mel);
    drift_sound_engine_free(e);
    return s;
}

static int run(eval *ev, drift_model *m, int per, int steps)
{
    size_t cells = (size_t)ev->p.n_mels * ev->p.frames;
    int *ltrain = set_labels(ev, &ev->train), *ltest = set_labels(ev, &ev->test), n_fit = 0;
    int *lfit = malloc((size_t)ev->train.n * sizeof *lfit);
    float *fit = malloc((size_t)ev->train.n * cells * sizeof *fit);
    labelled_only(&ev->train, ltrain, fit, lfit, &n_fit);
    drift_classifier *c;
    drift_status s = drift_sound_classifier_train(fit, lfit, n_fit, ev->p.n_mels, ev->p.frames, ev->k, 60, 1, &c);
    free(fit), free(lfit);
    if (s)
        return fprintf(stderr, "eval_sound: %s\n", drift_last_error()), 1;
    int h = drift_classifier_embed_dim(c), n_gen = ev->k * per;
    float *etrain = malloc((size_t)ev->train.n * h * sizeof *etrain), *etest = malloc((size_t)ev->test.n * h * sizeof *etest);
    float *egen = malloc(((size_t)n_gen + 1) * h * sizeof *egen);
    printf("classifier on real clips: train %.1f%%, held-out %.1f%% top-1 (%d classes, %d train, %d held-out clips)\n",
           100 * accuracy(c, &ev->train, ltrain, etrain), 100 * accuracy(c, &ev->test, ltest, etest), ev->k,
           ev->train.n, ev->test.n);
    fflush(stdout);
    if (per > 0) {
        printf("generated (%d per class, dpm++2m %d steps, guidance %g; prompts: %s):\n", per, steps,
               ev->guidance, ev->heldout_prompts ? "tags of held-out clips" : "class name");
        s = judge_generated(ev, m, c, per, steps, egen, &n_gen);
    }
    double fd_gen = NAN, fd_floor = 0;
    int nf = ev->train.n < n_gen || per == 0 ? ev->train.n : n_gen;
    if (!s && per > 0)
        s = drift_frechet_distance(egen, n_gen, etest, ev->test.n, h, &fd_gen);
    if (!s)
        s = drift_frechet_distance(etrain, nf, etest, ev->test.n, h, &fd_floor);
    if (!s && per == 0)
        printf("Frechet distance (classifier embeddings, %d dims): training vs held-out real (floor) %.3f\n", h,
               fd_floor);
    else if (!s)
        printf("Frechet distance (classifier embeddings, %d dims): generated vs held-out real %.3f; "
               "training vs held-out real (floor) %.3f\n", h, fd_gen, fd_floor);
    else
        fprintf(stderr, "eval_sound: %s\n", drift_last_error());
    free(ltrain), free(ltest), free(etrain), free(etest), free(egen);
    drift_classifier_free(c);
    return s ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 8) {
        fprintf(stderr, "usage: eval_sound MANIFEST MODEL [name|family] [CLIPS_PER_CLASS] [STEPS] [label|heldout] "
                        "[GUIDANCE]\n");
        return 2;
    }
    eval ev = {0};
    ev.by_family = argc > 3 && !strcmp(argv[3], "family");
    ev.heldout_prompts = argc > 6 && !strcmp(argv[6], "heldout");
    int per = argc > 4 ? atoi(argv[4]) : 10, steps = argc > 5 ? atoi(argv[5]) : 25;
    drift_sound_request defaults; /* drift generate's guidance unless one is given */
    drift_sound_request_defaults(&defaults);
    ev.guidance = argc > 7 ? (float)atof(argv[7]) : defaults.guidance;
    if (per < 0 || per == 1 || steps < 1 || !(ev.guidance >= 1 && ev.guidance <= 100))
        return fprintf(stderr, "eval_sound: CLIPS_PER_CLASS must be 0 (real clips only) or >= 2, STEPS >= 1 and "
                               "GUIDANCE in [1, 100]\n"), 2;
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
