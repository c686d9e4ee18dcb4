/* safetensors.h: drift's checkpoint and model files.
 *
 * The safetensors format: an 8-byte little-endian header length N, N bytes
 * of JSON (tensor name -> {"dtype", "shape", "data_offsets": [begin, end]},
 * plus "__metadata__": {string: string}), then the tensors' raw
 * little-endian bytes. drift writes tensors back to back in the order
 * given, pads the header with spaces to a multiple of 8 bytes, and stores
 * F32, F16 or BF16 (half precision for shipped presets). It reads F32, F16
 * and BF16 into float32, and checks every size, offset, name and dtype of
 * a file before it trusts it.
 *
 * A drift model file carries metadata "drift.format" = "1" and
 * "drift.config" = the model configuration as JSON, so one file is one
 * usable model.
 *
 * Implemented in safetensors.c (format basics and reading) and
 * safetensors_write.c (writing). */
#ifndef DRIFT_SAFETENSORS_H
#define DRIFT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "params.h"
#include "status.h"

/* Largest JSON header drift accepts (100 MB). */
#define DRIFT_ST_MAX_HEADER (100u * 1000u * 1000u)
/* Most dimensions of a tensor in a file drift reads. */
#define DRIFT_ST_MAX_DIMS 8

typedef enum drift_st_dtype {
    DRIFT_ST_F32 = 0, /* the default */
    DRIFT_ST_F16,
    DRIFT_ST_BF16,
    /* Known to the format but not convertible by drift: */
    DRIFT_ST_F64,
    DRIFT_ST_I64,
    DRIFT_ST_I32,
    DRIFT_ST_I16,
    DRIFT_ST_I8,
    DRIFT_ST_U64,
    DRIFT_ST_U32,
    DRIFT_ST_U16,
    DRIFT_ST_U8,
    DRIFT_ST_BOOL,
    DRIFT_ST_F8_E4M3,
    DRIFT_ST_F8_E5M2,
} drift_st_dtype;

/* "F32", "F16", ... */
const char *drift_st_dtype_name(drift_st_dtype d);
size_t drift_st_dtype_size(drift_st_dtype d);

/* IEEE half and bfloat16 conversions, rounding to nearest even; infinities
 * and NaNs carry over, overflow becomes infinity, tiny values become
 * subnormals or zero. */
uint16_t drift_f32_to_f16(float f);
float drift_f16_to_f32(uint16_t h);
uint16_t drift_f32_to_bf16(float f);
float drift_bf16_to_f32(uint16_t h);

/* ---- writing ---------------------------------------------------------- */

typedef struct drift_st_entry {
    const char *name;
    int ndim;          /* 0 (a scalar) to DRIFT_ST_MAX_DIMS */
    const int *shape;  /* ndim dimensions, each >= 0 */
    const float *data; /* prod(shape) floats */
    drift_st_dtype dtype; /* F32, F16 or BF16: how the file stores it */
} drift_st_entry;

typedef struct drift_st_meta {
    const char *key, *value;
} drift_st_meta;

/* Writes the entries in order, with the metadata, atomically: on any
 * failure the destination is left as it was. */
drift_status drift_safetensors_write(const char *path, const drift_st_entry *entries, size_t n,
                                     const drift_st_meta *meta, size_t n_meta);

/* A writer collects entries from several sources (model, EMA, optimiser
 * moments) before one atomic write. Data is referenced, not copied: it
 * must stay valid until drift_st_writer_save. Names and metadata are
 * copied. Errors are sticky and reported by save. */
typedef struct drift_st_writer drift_st_writer;
drift_st_writer *drift_st_writer_create(void);
void drift_st_writer_free(drift_st_writer *w);
drift_status drift_st_writer_add(drift_st_writer *w, const char *name, int ndim, const int *shape,
                                 const float *data, drift_st_dtype dtype);
/* Every tensor of p as prefix + name, with values taken from `buffer`
 * (a drift_params_numel(p) floats buffer laid out like p's data: the data
 * itself, an optimiser moment, ...; NULL means p's data). */
drift_status drift_st_writer_add_params(drift_st_writer *w, const drift_params *p,
                                        const float *buffer, const char *prefix,
                                        drift_st_dtype dtype);
drift_status drift_st_writer_meta(drift_st_writer *w, const char *key, const char *value);
drift_status drift_st_writer_save(drift_st_writer *w, const char *path);

/* ---- reading ---------------------------------------------------------- */

typedef struct drift_st_info {
    const char *name;
    drift_st_dtype dtype;
    int ndim;
    int64_t shape[DRIFT_ST_MAX_DIMS];
    size_t numel;
    uint64_t begin, end; /* byte offsets within the data section */
} drift_st_info;

typedef struct drift_safetensors drift_safetensors;

/* Opens and validates path: header size and limit, JSON, every entry's
 * dtype, shape, offsets (in bounds, contiguous, not overlapping), unique
 * names, string metadata. Tensor data is read on demand. */
drift_status drift_safetensors_open(const char *path, drift_safetensors **out);
void drift_safetensors_close(drift_safetensors *h);

const char *drift_safetensors_path(const drift_safetensors *h);
size_t drift_safetensors_count(const drift_safetensors *h);
/* Entries in data order (by offset). NULL if out of range / absent. */
const drift_st_info *drift_safetensors_entry(const drift_safetensors *h, size_t i);
const drift_st_info *drift_safetensors_find(const drift_safetensors *h, const char *name);

/* Metadata: the value for key (NULL if absent), or the i-th pair. */
const char *drift_safetensors_meta(const drift_safetensors *h, const char *key);
size_t drift_safetensors_meta_count(const drift_safetensors *h);
const char *drift_safetensors_meta_key(const drift_safetensors *h, size_t i);
const char *drift_safetensors_meta_value(const drift_safetensors *h, size_t i);

/* Tensor `name` converted to float32 into out[0..numel) (numel must match
 * the tensor's element count). */
drift_status drift_safetensors_read(drift_safetensors *h, const char *name, float *out,
                                    size_t numel);
/* The same into a buffer the handle owns until close. */
drift_status drift_safetensors_get(drift_safetensors *h, const char *name, const float **out);

/* Fills every tensor of p from the file's tensor prefix + name, into
 * `buffer` (laid out like p's data; NULL means p's data). Checks first
 * that every tensor exists with the right shape and that the file holds
 * no other tensors under the prefix; on such an error nothing is written
 * and the message names the file, the tensor and both shapes, or lists
 * the missing / unexpected names. */
drift_status drift_safetensors_load_buffer(drift_safetensors *h, const drift_params *p,
                                           float *buffer, const char *prefix);
drift_status drift_safetensors_load_params(drift_safetensors *h, drift_params *p,
                                           const char *prefix);

/* ---- drift model files ------------------------------------------------ */

#define DRIFT_MODEL_FORMAT "1"

/* Saves p (names as they are) with metadata drift.format = "1" and
 * drift.config = config_json (which must parse as a JSON object). */
drift_status drift_safetensors_save_model(const char *path, const drift_params *p,
                                          const char *config_json, drift_st_dtype dtype);

/* The drift.config JSON of a model file (owned by h); fails if the file
 * is not a drift model or has an unsupported drift.format. */
drift_status drift_safetensors_model_config(const drift_safetensors *h, const char **config_json);

#endif
