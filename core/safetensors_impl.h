/* safetensors_impl.h: helpers shared by drift's safetensors reader
 * (safetensors.c) and writer (safetensors_write.c). Private to core/:
 * not part of drift.h. */
#ifndef DRIFT_SAFETENSORS_IMPL_H
#define DRIFT_SAFETENSORS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "safetensors.h"

/* Both sides move tensor bytes to and from float arrays as they are. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "drift's safetensors code assumes a little-endian host"
#endif

/* F32, F16 and BF16: the dtypes drift converts to and from float32. */
bool drift_st_dtype_convertible(drift_st_dtype d);

/* prod(shape[0..ndim)) into *numel and numel * elem_size into *bytes;
 * false on overflow (or more elements than drift can index). */
bool drift_st_tensor_bytes(int ndim, const int64_t *shape, size_t elem_size, uint64_t *numel,
                           uint64_t *bytes);

/* A malloc'd copy of s, NULL when out of memory. */
char *drift_st_dup_string(const char *s);

#endif
