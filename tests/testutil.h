/* testutil.h: the few helpers drift's tests share: checks that count
 * failures, closeness measures, and golden files written by the scripts in
 * tests/golden/ from PyTorch, torchaudio or SciPy. */
#ifndef DRIFT_TESTUTIL_H
#define DRIFT_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

extern int test_failures;
extern int test_checks;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        test_checks++;                                                    \
        if (!(cond)) {                                                    \
            test_failures++;                                              \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

/* Prints a summary and returns the process exit status. */
int test_finish(const char *name);

/* max |a-b| / max(max |b|, floor): a relative error over the whole tensor. */
double rel_error(const float *a, const float *b, size_t n, double floor);
double max_abs_diff(const float *a, const float *b, size_t n);

/* Golden files: a sequence of named float32 tensors.
 * Layout (little endian): "DRGOLD1\0", u32 count, then per tensor
 * u32 name_len, name bytes, u32 ndim, u32 dims[ndim], f32 data[prod dims]. */
typedef struct golden_tensor {
    char name[64];
    int ndim;
    int dims[8];
    size_t n;
    float *data;
} golden_tensor;

typedef struct golden_file {
    golden_tensor *t;
    int count;
} golden_file;

bool golden_load(golden_file *g, const char *path);
void golden_free(golden_file *g);
/* NULL (and a failed check) if missing. */
const golden_tensor *golden_get(const golden_file *g, const char *name);

/* A test's scratch folder: the test fills test_tmpdir (e.g. with mkdtemp);
 * test_tmp(name) is "test_tmpdir/name" (four results stay valid at once). */
extern char test_tmpdir[256];
const char *test_tmp(const char *name);

/* A small U-Net for tests that train or run a model quickly: two levels
 * (base, 2 x base channels), one residual block each, group norm of 4, no
 * attention, time embedding 16 -> 32. */
struct drift_unet_config;
void test_tiny_unet(struct drift_unet_config *u, int dims, int channels, int base);

/* Path of a file in the source tree's tests/ folder. */
const char *test_path(const char *rel);

#endif
