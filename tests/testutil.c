/* testutil.c: see testutil.h. */
#include "testutil.h"
#include "drift.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int test_failures;
int test_checks;

int test_finish(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
    return test_failures ? 1 : 0;
}

double rel_error(const float *a, const float *b, size_t n, double floor)
{
    double num = 0, den = floor;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > num || isnan(d))
            num = isnan(d) ? INFINITY : d;
        if (fabs((double)b[i]) > den)
            den = fabs((double)b[i]);
    }
    return num / den;
}

double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m || isnan(d))
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

static bool read_u32(FILE *f, uint32_t *v) { return fread(v, 4, 1, f) == 1; }

bool golden_load(golden_file *g, const char *path)
{
    memset(g, 0, sizeof *g);
    FILE *f = fopen(path, "rb");
    if (!f) {
        CHECK(0, "cannot open golden file %s", path);
        return false;
    }
    char magic[8];
    uint32_t count;
    bool ok = fread(magic, 8, 1, f) == 1 && memcmp(magic, "DRGOLD1", 8) == 0 && read_u32(f, &count) &&
              count < 100000;
    if (ok) {
        g->t = calloc(count, sizeof *g->t);
        ok = g->t != NULL;
    }
    for (uint32_t i = 0; ok && i < count; i++) {
        golden_tensor *t = &g->t[i];
        uint32_t len = 0, ndim = 0;
        ok = read_u32(f, &len) && len < sizeof t->name && fread(t->name, 1, len, f) == len &&
             read_u32(f, &ndim) && ndim <= 8;
        t->ndim = (int)ndim;
        t->n = 1;
        for (uint32_t d = 0; ok && d < ndim; d++) {
            uint32_t v = 0;
            ok = read_u32(f, &v);
            t->dims[d] = (int)v;
            t->n *= v;
        }
        if (ok) {
            t->data = malloc(t->n * sizeof(float) + 1);
            ok = t->data && fread(t->data, sizeof(float), t->n, f) == t->n;
        }
        g->count = (int)i + 1;
    }
    fclose(f);
    CHECK(ok, "golden file %s is corrupt", path);
    return ok;
}

void golden_free(golden_file *g)
{
    for (int i = 0; i < g->count; i++)
        free(g->t[i].data);
    free(g->t);
    memset(g, 0, sizeof *g);
}

const golden_tensor *golden_get(const golden_file *g, const char *name)
{
    for (int i = 0; i < g->count; i++)
        if (strcmp(g->t[i].name, name) == 0)
            return &g->t[i];
    CHECK(0, "golden tensor '%s' missing", name);
    return NULL;
}

void test_tiny_unet(drift_unet_config *u, int dims, int channels, int base)
{
    *u = drift_unet_ref_config(dims, channels);
    u->base_channels = base;
    u->n_levels = 2;
    u->mults[0] = 1;
    u->mults[1] = 2;
    u->res_blocks = 1;
    u->groups = 4;
    u->attn_levels = 0;
    u->mid_attention = 0;
    u->temb_in = 16;
    u->temb_dim = 32;
}

char test_tmpdir[256];

const char *test_tmp(const char *name)
{
    static _Thread_local char buf[4][512];
    static _Thread_local int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", test_tmpdir, name);
    return buf[i];
}

const char *test_path(const char *rel)
{
    static _Thread_local char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", DRIFT_TEST_DIR, rel);
    return buf;
}
