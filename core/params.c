/* params.c: a model's parameter set in one data and one gradient buffer
 * (see params.h). */
#include "params.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PARAMS_ALIGN 64

struct drift_params {
    drift_tensor **tensors; /* each allocated on its own, so pointers stay put */
    size_t *offsets;
    size_t count, cap;
    size_t numel;
    float *data, *grad;
    bool finalized;
    drift_status error; /* first registration failure (sticky) */
    char error_msg[256];
};

drift_params *drift_params_create(void)
{
    drift_params *p = calloc(1, sizeof *p);
    if (!p)
        drift_fail(DRIFT_ERR_NOMEM, "out of memory creating a parameter set");
    return p;
}

void drift_params_free(drift_params *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->count; i++)
        free(p->tensors[i]); /* the name lives in the same block */
    free(p->tensors);
    free(p->offsets);
    free(p->data);
    free(p->grad);
    free(p);
}

static drift_status sticky(drift_params *p, drift_status s)
{
    if (p->error == DRIFT_OK) {
        p->error = s;
        snprintf(p->error_msg, sizeof p->error_msg, "%s", drift_last_error());
    }
    return s;
}

static bool grow(drift_params *p)
{
    if (p->count < p->cap)
        return true;
    size_t cap = p->cap ? p->cap * 2 : 32;
    drift_tensor **t = realloc(p->tensors, cap * sizeof *t);
    if (!t)
        return false;
    p->tensors = t;
    size_t *o = realloc(p->offsets, cap * sizeof *o);
    if (!o)
        return false;
    p->offsets = o;
    p->cap = cap;
    return true;
}

static drift_status check_new_tensor(drift_params *p, const char *name, int ndim, const int *shape)
{
    if (p->finalized)
        return drift_fail(DRIFT_ERR_ARG, "parameter '%s' added after the set was finalized",
                          name ? name : "(null)");
    if (!name || !*name)
        return drift_fail(DRIFT_ERR_ARG, "a parameter needs a non-empty name");
    if (drift_params_find(p, name))
        return drift_fail(DRIFT_ERR_ARG, "parameter name '%s' is used twice", name);
    drift_tensor probe;
    if (!shape || !drift_tensor_set_shape(&probe, ndim, shape))
        return drift_fail(DRIFT_ERR_SHAPE,
                          "parameter '%s' needs 1 to %d dimensions, all > 0 (got %d dimensions)",
                          name, DRIFT_MAX_DIMS, ndim);
    if (probe.numel > (SIZE_MAX / sizeof(float) - PARAMS_ALIGN) - p->numel)
        return drift_fail(DRIFT_ERR_NOMEM, "parameter '%s' makes the set too large", name);
    return DRIFT_OK;
}

drift_tensor *drift_params_add(drift_params *p, const char *name, int ndim, const int *shape)
{
    if (!p) {
        drift_fail(DRIFT_ERR_ARG, "drift_params_add: no parameter set");
        return NULL;
    }
    drift_status s = check_new_tensor(p, name, ndim, shape);
    if (s != DRIFT_OK) {
        sticky(p, s);
        return NULL;
    }
    size_t len = strlen(name);
    drift_tensor *t = calloc(1, sizeof *t + len + 1);
    if (!t || !grow(p)) {
        free(t);
        sticky(p, drift_fail(DRIFT_ERR_NOMEM, "out of memory adding parameter '%s'", name));
        return NULL;
    }
    char *copy = (char *)(t + 1);
    memcpy(copy, name, len + 1);
    drift_tensor_set_shape(t, ndim, shape);
    t->name = copy;
    t->flags = DRIFT_T_PARAM | DRIFT_T_NEEDS_GRAD;
    p->offsets[p->count] = p->numel;
    p->tensors[p->count++] = t;
    p->numel += t->numel;
    return t;
}

static float *alloc_buffer(size_t numel)
{
    size_t bytes = numel * sizeof(float);
    bytes = (bytes + PARAMS_ALIGN - 1) / PARAMS_ALIGN * PARAMS_ALIGN;
    if (bytes == 0)
        bytes = PARAMS_ALIGN;
    float *b = aligned_alloc(PARAMS_ALIGN, bytes);
    if (b)
        memset(b, 0, bytes);
    return b;
}

static drift_status allocate(drift_params *p, bool with_grad)
{
    if (p->error != DRIFT_OK)
        return drift_fail(p->error, "%s", p->error_msg);
    if (p->finalized)
        return drift_fail(DRIFT_ERR_ARG, "parameter set finalized twice");
    p->data = alloc_buffer(p->numel);
    p->grad = with_grad ? alloc_buffer(p->numel) : NULL;
    if (!p->data || (with_grad && !p->grad))
        return sticky(p, drift_fail(DRIFT_ERR_NOMEM, "out of memory allocating %zu parameters",
                                    p->numel));
    for (size_t i = 0; i < p->count; i++) {
        drift_tensor *t = p->tensors[i];
        t->data = p->data + p->offsets[i];
        t->grad = with_grad ? p->grad + p->offsets[i] : NULL;
        if (!with_grad)
            t->flags &= ~(unsigned)DRIFT_T_NEEDS_GRAD;
    }
    p->finalized = true;
    return DRIFT_OK;
}

drift_status drift_params_finalize(drift_params *p)
{
    if (!p)
        return drift_fail(DRIFT_ERR_ARG, "drift_params_finalize: no parameter set");
    return allocate(p, true);
}

drift_params *drift_params_clone(const drift_params *src, bool with_grad)
{
    if (!src || !src->finalized) {
        drift_fail(DRIFT_ERR_ARG, "can only clone a finalized parameter set");
        return NULL;
    }
    drift_params *p = drift_params_create();
    for (size_t i = 0; p && i < src->count; i++) {
        const drift_tensor *t = src->tensors[i];
        if (!drift_params_add(p, t->name, t->ndim, t->shape))
            break;
    }
    if (!p || allocate(p, with_grad) != DRIFT_OK) {
        drift_params_free(p);
        return NULL;
    }
    memcpy(p->data, src->data, p->numel * sizeof(float));
    return p;
}

bool drift_params_finalized(const drift_params *p) { return p && p->finalized; }
size_t drift_params_count(const drift_params *p) { return p ? p->count : 0; }
size_t drift_params_numel(const drift_params *p) { return p ? p->numel : 0; }
float *drift_params_data(const drift_params *p) { return p ? p->data : NULL; }
float *drift_params_grad(const drift_params *p) { return p ? p->grad : NULL; }

drift_tensor *drift_params_get(const drift_params *p, size_t i)
{
    return p && i < p->count ? p->tensors[i] : NULL;
}

size_t drift_params_offset(const drift_params *p, size_t i)
{
    return p && i < p->count ? p->offsets[i] : 0;
}

drift_tensor *drift_params_find(const drift_params *p, const char *name)
{
    if (!p || !name)
        return NULL;
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->tensors[i]->name, name) == 0)
            return p->tensors[i];
    return NULL;
}

void drift_params_zero_grad(drift_params *p)
{
    if (p && p->grad)
        memset(p->grad, 0, p->numel * sizeof(float));
}

/* Index of the first tensor whose name or shape differs, or count if none
 * (also returned when the counts differ and the common part matches). */
static size_t first_difference(const drift_params *a, const drift_params *b)
{
    size_t n = a->count < b->count ? a->count : b->count;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a->tensors[i]->name, b->tensors[i]->name) != 0 ||
            !drift_tensor_same_shape(a->tensors[i], b->tensors[i]))
            return i;
    return n;
}

bool drift_params_same_layout(const drift_params *a, const drift_params *b)
{
    return a && b && a->finalized && b->finalized && a->count == b->count &&
           first_difference(a, b) == a->count;
}

drift_status drift_params_copy(drift_params *dst, const drift_params *src)
{
    if (!dst || !src || !dst->finalized || !src->finalized)
        return drift_fail(DRIFT_ERR_ARG, "parameter copy needs two finalized sets");
    size_t i = first_difference(dst, src);
    if (i < dst->count && i < src->count) {
        char sa[64], sb[64];
        return drift_fail(DRIFT_ERR_SHAPE,
                          "parameter sets differ at tensor %zu: '%s' %s versus '%s' %s", i,
                          src->tensors[i]->name, drift_tensor_shape_str(src->tensors[i], sa, sizeof sa),
                          dst->tensors[i]->name, drift_tensor_shape_str(dst->tensors[i], sb, sizeof sb));
    }
    if (dst->count != src->count)
        return drift_fail(DRIFT_ERR_SHAPE, "parameter sets differ: %zu tensors versus %zu",
                          src->count, dst->count);
    if (dst != src)
        memcpy(dst->data, src->data, src->numel * sizeof(float));
    return DRIFT_OK;
}

static drift_status check_init_target(const drift_tensor *t)
{
    if (!t || !t->data)
        return drift_fail(DRIFT_ERR_ARG, "initialising parameter '%s' before its set is finalized",
                          t && t->name ? t->name : "(null)");
    return DRIFT_OK;
}

drift_status drift_params_init_uniform(drift_tensor *t, float bound, drift_rng *rng)
{
    drift_status s = check_init_target(t);
    if (s != DRIFT_OK)
        return s;
    if (!(bound >= 0) || !isfinite(bound))
        return drift_fail(DRIFT_ERR_ARG, "uniform init of '%s': bound must be finite and >= 0, got %g",
                          t->name ? t->name : "?", (double)bound);
    drift_rng_uniform_fill(rng, t->data, t->numel);
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = (2.0f * t->data[i] - 1.0f) * bound;
    return DRIFT_OK;
}

drift_status drift_params_init_normal(drift_tensor *t, float mean, float std, drift_rng *rng)
{
    drift_status s = check_init_target(t);
    if (s != DRIFT_OK)
        return s;
    if (!(std >= 0) || !isfinite(std) || !isfinite(mean))
        return drift_fail(DRIFT_ERR_ARG, "normal init of '%s': need finite mean and std >= 0, got %g, %g",
                          t->name ? t->name : "?", (double)mean, (double)std);
    drift_rng_normal(rng, t->data, t->numel);
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = mean + std * t->data[i];
    return DRIFT_OK;
}

drift_status drift_params_init_constant(drift_tensor *t, float value)
{
    drift_status s = check_init_target(t);
    if (s != DRIFT_OK)
        return s;
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = value;
    return DRIFT_OK;
}

drift_status drift_params_init_torch_default(drift_tensor *w, drift_tensor *b, int fan_in,
                                             drift_rng *rng)
{
    if (fan_in <= 0)
        return drift_fail(DRIFT_ERR_ARG, "default init of '%s': fan_in must be > 0, got %d",
                          w && w->name ? w->name : "?", fan_in);
    float bound = (float)(1.0 / sqrt((double)fan_in));
    drift_status s = drift_params_init_uniform(w, bound, rng);
    if (s == DRIFT_OK && b)
        s = drift_params_init_uniform(b, bound, rng);
    return s;
}
