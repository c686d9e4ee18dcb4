/* test_mpi_weights.c: compares the weights of two drift files tensor by
 * tensor, for the MPI tests (tests/test_mpi.sh).
 *
 *   test_mpi_weights A[:PREFIX] B[:PREFIX] TOLERANCE
 *   test_mpi_weights --step CHECKPOINT     (prints the checkpoint's step)
 *
 * Every tensor of B under PREFIX must exist in A under A's prefix with the
 * same size (so a model file compares with a checkpoint's "model." part).
 * A tensor's error is max |a - b| / max |b| (floor 1e-6); the worst over
 * all tensors is printed. Exit status: 0 when the worst error is at most
 * TOLERANCE, 1 when it is above, 2 when the files cannot be compared. */
#include "drift.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    drift_safetensors *h;
    char path[4096], prefix[128];
} weights;

/* Splits "file:prefix" (no colon: no prefix) and opens the file. */
static bool open_weights(const char *arg, weights *w)
{
    const char *colon = strrchr(arg, ':');
    size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
    snprintf(w->path, sizeof w->path, "%.*s", (int)len, arg);
    snprintf(w->prefix, sizeof w->prefix, "%s", colon ? colon + 1 : "");
    if (drift_safetensors_open(w->path, &w->h) != DRIFT_OK) {
        fprintf(stderr, "test_mpi_weights: %s\n", drift_last_error());
        return false;
    }
    return true;
}

/* The error of B's tensor `name` (prefix included) against A's; -1 when it
 * cannot be compared. */
static double tensor_error(weights *a, weights *b, const char *name)
{
    char name_a[512];
    snprintf(name_a, sizeof name_a, "%s%s", a->prefix, name + strlen(b->prefix));
    const drift_st_info *ia = drift_safetensors_find(a->h, name_a), *ib = drift_safetensors_find(b->h, name);
    if (!ia || ia->numel != ib->numel) {
        fprintf(stderr, "test_mpi_weights: %s has no tensor %s of %zu values\n", a->path, name_a, ib->numel);
        return -1;
    }
    const float *da, *db;
    if (drift_safetensors_get(a->h, name_a, &da) != DRIFT_OK || drift_safetensors_get(b->h, name, &db) != DRIFT_OK) {
        fprintf(stderr, "test_mpi_weights: %s\n", drift_last_error());
        return -1;
    }
    return rel_error(da, db, ib->numel, 1e-6);
}

static int print_step(const char *path)
{
    weights w;
    if (!open_weights(path, &w))
        return 2;
    const char *step = drift_safetensors_meta(w.h, "train.step");
    if (step)
        printf("%s\n", step);
    else
        fprintf(stderr, "test_mpi_weights: %s has no train.step\n", path);
    drift_safetensors_close(w.h);
    return step ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--step") == 0)
        return print_step(argv[2]);
    if (argc != 4) {
        fprintf(stderr, "usage: test_mpi_weights A[:PREFIX] B[:PREFIX] TOLERANCE\n");
        return 2;
    }
    weights a, b;
    if (!open_weights(argv[1], &a))
        return 2;
    if (!open_weights(argv[2], &b)) {
        drift_safetensors_close(a.h);
        return 2;
    }
    double tolerance = atof(argv[3]), worst = 0;
    const char *worst_name = "";
    size_t compared = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < drift_safetensors_count(b.h); i++) {
        const char *name = drift_safetensors_entry(b.h, i)->name;
        if (strncmp(name, b.prefix, strlen(b.prefix)) != 0)
            continue;
        double e = tensor_error(&a, &b, name);
        ok = e >= 0;
        if (e > worst || (compared == 0 && ok)) {
            worst = e;
            worst_name = name;
        }
        compared++;
    }
    if (ok && compared == 0) {
        fprintf(stderr, "test_mpi_weights: %s has no tensors under '%s'\n", b.path, b.prefix);
        ok = false;
    }
    if (ok)
        printf("%zu tensors; worst max|a-b|/max|b| = %.3g (%s); tolerance %g\n", compared, worst, worst_name,
               tolerance);
    drift_safetensors_close(a.h);
    drift_safetensors_close(b.h);
    return !ok ? 2 : worst <= tolerance ? 0 : 1;
}
