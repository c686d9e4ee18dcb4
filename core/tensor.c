/* tensor.c: shape helpers (see tensor.h). */
#include "tensor.h"

#include <stdio.h>

bool drift_tensor_set_shape(drift_tensor *t, int ndim, const int *shape)
{
    if (ndim < 1 || ndim > DRIFT_MAX_DIMS)
        return false;
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] <= 0)
            return false;
        n *= (size_t)shape[i];
    }
    t->ndim = ndim;
    for (int i = 0; i < DRIFT_MAX_DIMS; i++)
        t->shape[i] = i < ndim ? shape[i] : 1;
    t->numel = n;
    return true;
}

bool drift_tensor_same_shape(const drift_tensor *a, const drift_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return false;
    return true;
}

const char *drift_tensor_shape_str(const drift_tensor *t, char *buf, size_t size)
{
    size_t off = 0;
    off += (size_t)snprintf(buf + off, size - off, "(");
    for (int i = 0; i < t->ndim && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, i ? ",%d" : "%d", t->shape[i]);
    if (off < size)
        snprintf(buf + off, size - off, ")");
    return buf;
}

size_t drift_tensor_inner(const drift_tensor *t, int from)
{
    size_t n = 1;
    for (int i = from; i < t->ndim; i++)
        n *= (size_t)t->shape[i];
    return n;
}
