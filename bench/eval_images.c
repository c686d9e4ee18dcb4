/* eval_images.c: the generation half of drift's image evaluation
 * (scripts/eval_images.sh runs it; the restoration tasks are scored by
 * scripts/eval_images.py).
 *
 *   eval_images classifier OUT [TRAIN_LIMIT] [EPOCHS]
 *       trains the Fashion-MNIST classifier (vision/classify.h) on the
 *       training split (the first TRAIN_LIMIT pictures, 0 = all 60,000),
 *       padded to 32 x 32 as drift's models see them, reports its accuracy
 *       on the 10,000 test pictures and saves it to OUT.
 *   eval_images generation MODEL CLASSIFIER [PER_CLASS] [GUIDANCE] [STEPS]
 *       samples PER_CLASS pictures of every class with classifier-free
 *       guidance, reports how often the classifier recognises the
 *       requested class, and the Frechet distance between classifier
 *       embeddings of the samples and of the test set, next to the same
 *       distance between as many training pictures and the test set (the
 *       floor).
 * Results go to stdout as "key value" lines after a readable report. */
#include "bench_clock.h"
#include "frechet.h"
#include "vision/classify.h"
#include "vision/imgtask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int on_epoch(void *user, int epoch, int epochs, double loss)
{
    fprintf(stderr, "classifier epoch %d/%d: loss %.4f (%.0f s)\n", epoch, epochs, loss, bench_now() - *(double *)user);
    return 0;
}

static int train_classifier(const char *out, int limit, int epochs)
{
    drift_image_set train = {0}, test = {0};
    drift_classifier *c = NULL;
    double t0 = bench_now(), acc = 0;
    drift_classifier_train_options o;
    drift_classifier_train_defaults(&o);
    o.epochs = epochs, o.batch = 32, o.lr = 3e-3, o.flip_last = true, o.progress = on_epoch, o.progress_user = &t0;
    drift_status s = drift_image_set_fashion_mnist(NULL, true, 32, limit, &train);
    if (!s)
        s = drift_image_set_fashion_mnist(NULL, false, 32, 0, &test);
    if (!s)
        s = drift_image_classifier_train(&train, &o, &c);
    if (!s)
        s = drift_image_classifier_accuracy(c, &test, NULL, &acc);
    if (!s)
        s = drift_classifier_save(c, out);
    if (!s) {
        printf("classifier: %d training pictures x %d epochs in %.0f s; test accuracy %.2f%% (%d pictures)\n",
               train.count, epochs, bench_now() - t0, 100 * acc, test.count);
        printf("classifier_train_count %d\nclassifier_epochs %d\nclassifier_test_accuracy %.4f\n", train.count,
               epochs, acc);
    }
    drift_classifier_free(c);
    drift_image_set_free(&train);
    drift_image_set_free(&test);
    return s ? (fprintf(stderr, "eval_images: %s\n", drift_last_error()), 1) : 0;
}

/* Samples `per` pictures of class k; their predictions and embeddings. */
static drift_status sample_class(drift_model *m, drift_classifier *c, int k, int per, double guidance, int steps,
                                 int *pred, float *emb)
{
    drift_image *img = calloc((size_t)per, sizeof *img);
    if (!img)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    drift_generate_options o;
    drift_generate_defaults(&o);
    o.count = per, o.class_id = k, o.guidance = guidance, o.steps = steps, o.seed = 1000 + (uint64_t)k;
    drift_status s = drift_image_generate(m, &o, img);
    if (!s)
        s = drift_image_classifier_run(c, img, per, pred, emb);
    for (int i = 0; i < per; i++)
        drift_image_free(&img[i]);
    free(img);
    return s;
}

typedef struct gen_eval {
    drift_model *m;
    drift_classifier *c;
    drift_image_set test, train;
    float *e_gen, *e_test, *e_train;
    int per, steps, k, e;
    double guidance;
} gen_eval;

static drift_status judge_samples(gen_eval *g, double *acc)
{
    int *pred = malloc((size_t)g->per * sizeof *pred), right_all = 0;
    drift_status s = pred ? DRIFT_OK : drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    for (int k = 0; !s && k < g->k; k++) {
        double t0 = bench_now();
        s = sample_class(g->m, g->c, k, g->per, g->guidance, g->steps, pred, g->e_gen + (size_t)k * g->per * g->e);
        int right = 0;
        for (int i = 0; !s && i < g->per; i++)
            right += pred[i] == k;
        const char *name = drift_classifier_class_name(g->c, k);
        if (!s)
            printf("  %-12s %5.1f%% (%d/%d, %.0f s)\n", name ? name : "?", 100.0 * right / g->per, right, g->per,
                   bench_now() - t0);
        fflush(stdout);
        right_all += right;
    }
    free(pred);
    *acc = (double)right_all / (g->k * g->per);
    return s;
}

static drift_status generation(gen_eval *g)
{
    double test_acc = 0, gen_acc = 0, train_acc = 0, fd_gen = 0, fd_floor = 0;
    int n_gen = g->k * g->per;
    drift_status s = drift_image_set_fashion_mnist(NULL, false, 32, 0, &g->test);
    if (!s)
        s = drift_image_set_fashion_mnist(NULL, true, 32, n_gen, &g->train);
    g->e_gen = malloc((size_t)n_gen * g->e * sizeof(float));
    g->e_test = malloc((size_t)g->test.count * g->e * sizeof(float));
    g->e_train = malloc((size_t)n_gen * g->e * sizeof(float));
    if (!s && (!g->e_gen || !g->e_test || !g->e_train))
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    if (!s)
        s = drift_image_classifier_accuracy(g->c, &g->test, g->e_test, &test_acc);
    if (!s)
        s = drift_image_classifier_accuracy(g->c, &g->train, g->e_train, &train_acc);
    if (!s)
        printf("classifier test accuracy %.2f%%; generating %d per class, guidance %g, %d steps:\n", 100 * test_acc,
               g->per, g->guidance, g->steps);
    if (!s)
        s = judge_samples(g, &gen_acc);
    if (!s)
        s = drift_frechet_distance(g->e_gen, n_gen, g->e_test, g->test.count, g->e, &fd_gen);
    if (!s)
        s = drift_frechet_distance(g->e_train, g->train.count, g->e_test, g->test.count, g->e, &fd_floor);
    if (!s) {
        printf("samples recognised as their class: %.2f%%\n", 100 * gen_acc);
        printf("Frechet distance (%d-dim classifier embeddings) to the %d test pictures: samples %.3f, "
               "%d training pictures (floor) %.3f\n", g->e, g->test.count, fd_gen, g->train.count, fd_floor);
        printf("test_accuracy %.4f\nsample_accuracy %.4f\nfd_samples %.4f\nfd_floor %.4f\nsamples %d\n", test_acc,
               gen_acc, fd_gen, fd_floor, n_gen);
    }
    return s;
}

static int run_generation(const char *model, const char *classifier, int per, double guidance, int steps)
{
    gen_eval g = {0};
    g.per = per, g.guidance = guidance, g.steps = steps;
    drift_status s = drift_model_load(model, &g.m);
    if (!s)
        s = drift_classifier_load(classifier, &g.c);
    if (!s) {
        g.k = drift_classifier_get_config(g.c)->n_classes;
        g.e = drift_classifier_embed_dim(g.c);
        if (g.m->cfg.n_classes != g.k)
            s = drift_fail(DRIFT_ERR_ARG, "%s has %d classes, the classifier %d", model, g.m->cfg.n_classes, g.k);
    }
    if (!s)
        s = generation(&g);
    drift_model_free(g.m);
    drift_classifier_free(g.c);
    drift_image_set_free(&g.test);
    drift_image_set_free(&g.train);
    free(g.e_gen), free(g.e_test), free(g.e_train);
    return s ? (fprintf(stderr, "eval_images: %s\n", drift_last_error()), 1) : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "classifier") && argc <= 5)
        return train_classifier(argv[2], argc > 3 ? atoi(argv[3]) : 0, argc > 4 ? atoi(argv[4]) : 3);
    if (argc >= 4 && !strcmp(argv[1], "generation") && argc <= 7) {
        int per = argc > 4 ? atoi(argv[4]) : 100, steps = argc > 6 ? atoi(argv[6]) : 0;
        double guidance = argc > 5 ? atof(argv[5]) : 2.0;
        if (per < 2 || steps < 0 || !(guidance >= 1))
            return fprintf(stderr, "eval_images: PER_CLASS >= 2, GUIDANCE >= 1, STEPS >= 0 (0 = default)\n"), 2;
        return run_generation(argv[2], argv[3], per, guidance, steps);
    }
    fprintf(stderr, "usage: eval_images classifier OUT [TRAIN_LIMIT (0 = all)] [EPOCHS (3)]\n"
                    "       eval_images generation MODEL CLASSIFIER [PER_CLASS (100)] [GUIDANCE (2)] [STEPS]\n");
    return 2;
}
