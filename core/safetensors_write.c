/* safetensors_write.c: drift's safetensors writer: checks entries and
 * metadata, builds the JSON header and writes the file atomically
 * (drift_safetensors_write); the writer object that gathers entries from
 * several parameter sets before one write; and drift model files
 * (drift_safetensors_save_model). Format basics and reading are in
 * safetensors.c. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "json.h"
#include "safetensors.h"
#include "safetensors_impl.h"

/* ---- writing ---------------------------------------------------------- */

static drift_status check_entry(const char *path, const drift_st_entry *e, uint64_t *bytes)
{
    if (!e->name || !*e->name || strcmp(e->name, "__metadata__") == 0)
        return drift_fail(DRIFT_ERR_ARG, "%s: tensor name '%s' cannot be stored", path,
                          e->name ? e->name : "(null)");
    if (e->ndim < 0 || e->ndim > DRIFT_ST_MAX_DIMS || (e->ndim > 0 && !e->shape))
        return drift_fail(DRIFT_ERR_SHAPE, "%s: tensor '%s' has %d dimensions (0 to %d allowed)",
                          path, e->name, e->ndim, DRIFT_ST_MAX_DIMS);
    if (!drift_st_dtype_convertible(e->dtype))
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "%s: tensor '%s': drift writes F32, F16 or BF16, not %s",
                          path, e->name, drift_st_dtype_name(e->dtype));
    int64_t shape[DRIFT_ST_MAX_DIMS];
    for (int i = 0; i < e->ndim; i++) {
        if (e->shape[i] < 0)
            return drift_fail(DRIFT_ERR_SHAPE, "%s: tensor '%s' has dimension %d of size %d", path,
                              e->name, i, e->shape[i]);
        shape[i] = e->shape[i];
    }
    uint64_t numel;
    if (!drift_st_tensor_bytes(e->ndim, shape, drift_st_dtype_size(e->dtype), &numel, bytes))
        return drift_fail(DRIFT_ERR_SHAPE, "%s: tensor '%s' is too large", path, e->name);
    if (numel > 0 && !e->data)
        return drift_fail(DRIFT_ERR_ARG, "%s: tensor '%s' has no data", path, e->name);
    return DRIFT_OK;
}

static drift_status check_meta(const char *path, const drift_st_meta *meta, size_t n_meta)
{
    for (size_t i = 0; i < n_meta; i++)
        if (!meta[i].key || !meta[i].value)
            return drift_fail(DRIFT_ERR_ARG, "%s: metadata entry %zu has no key or value", path, i);
    return DRIFT_OK;
}

static cJSON *entry_json(const drift_st_entry *e, uint64_t begin, uint64_t end)
{
    cJSON *o = cJSON_CreateObject(), *shape = cJSON_AddArrayToObject(o, "shape");
    cJSON *off = cJSON_AddArrayToObject(o, "data_offsets");
    bool ok = off && cJSON_AddStringToObject(o, "dtype", drift_st_dtype_name(e->dtype));
    for (int i = 0; ok && i < e->ndim; i++)
        ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber(e->shape[i]));
    ok = ok && cJSON_AddItemToArray(off, cJSON_CreateNumber((double)begin)) &&
         cJSON_AddItemToArray(off, cJSON_CreateNumber((double)end));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The header object (NULL on allocation failure): metadata first, then
 * the entries with back-to-back offsets. */
static cJSON *header_json(const drift_st_entry *entries, size_t n, const uint64_t *bytes,
                          const drift_st_meta *meta, size_t n_meta)
{
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL;
    if (ok && n_meta > 0) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        ok = m != NULL;
        for (size_t i = 0; ok && i < n_meta; i++)
            ok = cJSON_AddStringToObject(m, meta[i].key, meta[i].value) != NULL;
    }
    uint64_t offset = 0;
    for (size_t i = 0; ok && i < n; i++) {
        cJSON *e = entry_json(&entries[i], offset, offset + bytes[i]);
        ok = e && cJSON_AddItemToObject(root, entries[i].name, e);
        offset += bytes[i];
    }
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* Repeated tensor names or metadata keys. */
static drift_status check_unique(const char *path, const cJSON *root)
{
    bool nomem1, nomem2;
    const char *t = drift_json_duplicate_key(root, &nomem1);
    const char *m = drift_json_duplicate_key(cJSON_GetObjectItem(root, "__metadata__"), &nomem2);
    if (nomem1 || nomem2)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory writing %s", path);
    if (t)
        return drift_fail(DRIFT_ERR_ARG, "%s: tensor name '%s' is used twice", path, t);
    if (m)
        return drift_fail(DRIFT_ERR_ARG, "%s: metadata key '%s' is used twice", path, m);
    return DRIFT_OK;
}

/* Writes n floats of data as dtype, little endian. */
static bool write_tensor_data(FILE *fp, const float *data, size_t n, drift_st_dtype dtype)
{
    if (n == 0)
        return true;
    if (dtype == DRIFT_ST_F32)
        return fwrite(data, sizeof(float), n, fp) == n;
    uint16_t buf[4096];
    for (size_t i = 0; i < n;) {
        size_t k = n - i < 4096 ? n - i : 4096;
        for (size_t j = 0; j < k; j++)
            buf[j] = dtype == DRIFT_ST_F16 ? drift_f32_to_f16(data[i + j]) : drift_f32_to_bf16(data[i + j]);
        if (fwrite(buf, 2, k, fp) != k)
            return false;
        i += k;
    }
    return true;
}

static drift_status write_file(const char *path, const char *header, const drift_st_entry *entries,
                               size_t n, const uint64_t *bytes)
{
    size_t len = strlen(header), padded = (len + 7) / 8 * 8;
    unsigned char head[8];
    for (int i = 0; i < 8; i++)
        head[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    drift_atomic_file f;
    drift_status s = drift_atomic_open(&f, path);
    if (s != DRIFT_OK)
        return s;
    bool ok = fwrite(head, 1, 8, f.fp) == 8 && fwrite(header, 1, len, f.fp) == len;
    for (size_t i = len; ok && i < padded; i++)
        ok = fputc(' ', f.fp) != EOF;
    for (size_t i = 0; ok && i < n; i++)
        ok = write_tensor_data(f.fp, entries[i].data, bytes[i] / drift_st_dtype_size(entries[i].dtype),
                               entries[i].dtype);
    if (!ok) {
        int err = errno;
        drift_atomic_abort(&f);
        return drift_fail(DRIFT_ERR_IO, "cannot write %s: %s", path, strerror(err ? err : EIO));
    }
    return drift_atomic_commit(&f);
}

drift_status drift_safetensors_write(const char *path, const drift_st_entry *entries, size_t n,
                                     const drift_st_meta *meta, size_t n_meta)
{
    if (!path || (n > 0 && !entries) || (n_meta > 0 && !meta))
        return drift_fail(DRIFT_ERR_ARG, "drift_safetensors_write: missing path, entries or metadata");
    uint64_t *bytes = malloc((n ? n : 1) * sizeof *bytes);
    if (!bytes)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory writing %s", path);
    drift_status s = check_meta(path, meta, n_meta);
    for (size_t i = 0; s == DRIFT_OK && i < n; i++)
        s = check_entry(path, &entries[i], &bytes[i]);
    cJSON *root = s == DRIFT_OK ? header_json(entries, n, bytes, meta, n_meta) : NULL;
    if (s == DRIFT_OK && !root)
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory writing the header of %s", path);
    if (s == DRIFT_OK)
        s = check_unique(path, root);
    char *header = s == DRIFT_OK ? cJSON_PrintUnformatted(root) : NULL;
    if (s == DRIFT_OK && !header)
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory writing the header of %s", path);
    if (s == DRIFT_OK)
        s = write_file(path, header, entries, n, bytes);
    cJSON_free(header);
    cJSON_Delete(root);
    free(bytes);
    return s;
}

/* ---- the writer: entries from several sources ------------------------- */

typedef struct writer_entry {
    char *name;
    int ndim;
    int shape[DRIFT_ST_MAX_DIMS];
    const float *data;
    drift_st_dtype dtype;
} writer_entry;

struct drift_st_writer {
    writer_entry *entries;
    size_t n, cap;
    drift_st_meta *meta; /* owned copies */
    size_t n_meta, cap_meta;
    drift_status error;
    char error_msg[256];
};

drift_st_writer *drift_st_writer_create(void)
{
    drift_st_writer *w = calloc(1, sizeof *w);
    if (!w)
        drift_fail(DRIFT_ERR_NOMEM, "out of memory creating a checkpoint writer");
    return w;
}

void drift_st_writer_free(drift_st_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->entries[i].name);
    for (size_t i = 0; i < w->n_meta; i++) {
        free((char *)w->meta[i].key);
        free((char *)w->meta[i].value);
    }
    free(w->entries);
    free(w->meta);
    free(w);
}

static drift_status writer_fail(drift_st_writer *w, drift_status s)
{
    if (w->error == DRIFT_OK) {
        w->error = s;
        snprintf(w->error_msg, sizeof w->error_msg, "%s", drift_last_error());
    }
    return s;
}

/* Makes room for one more item in an array of `size`-byte items. */
static bool reserve_one(void **items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*items, c * size);
    if (!p)
        return false;
    *items = p;
    *cap = c;
    return true;
}

drift_status drift_st_writer_add(drift_st_writer *w, const char *name, int ndim, const int *shape,
                                 const float *data, drift_st_dtype dtype)
{
    if (!w)
        return drift_fail(DRIFT_ERR_ARG, "drift_st_writer_add: no writer");
    if (!name || ndim < 0 || ndim > DRIFT_ST_MAX_DIMS || (ndim > 0 && !shape))
        return writer_fail(w, drift_fail(DRIFT_ERR_ARG, "checkpoint entry '%s': bad name or shape",
                                         name ? name : "(null)"));
    if (!reserve_one((void **)&w->entries, w->n, &w->cap, sizeof *w->entries))
        return writer_fail(w, drift_fail(DRIFT_ERR_NOMEM, "out of memory adding '%s'", name));
    writer_entry *e = &w->entries[w->n];
    memset(e, 0, sizeof *e);
    e->name = drift_st_dup_string(name);
    if (!e->name)
        return writer_fail(w, drift_fail(DRIFT_ERR_NOMEM, "out of memory adding '%s'", name));
    e->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        e->shape[i] = shape[i];
    e->data = data;
    e->dtype = dtype;
    w->n++;
    return DRIFT_OK;
}

drift_status drift_st_writer_add_params(drift_st_writer *w, const drift_params *p,
                                        const float *buffer, const char *prefix,
                                        drift_st_dtype dtype)
{
    if (!w)
        return drift_fail(DRIFT_ERR_ARG, "drift_st_writer_add_params: no writer");
    if (!drift_params_finalized(p))
        return writer_fail(w, drift_fail(DRIFT_ERR_ARG, "saving a parameter set that is not finalized"));
    const float *base = buffer ? buffer : drift_params_data(p);
    if (!prefix)
        prefix = "";
    char name[1024];
    for (size_t i = 0; i < drift_params_count(p); i++) {
        const drift_tensor *t = drift_params_get(p, i);
        if ((size_t)snprintf(name, sizeof name, "%s%s", prefix, t->name) >= sizeof name)
            return writer_fail(w, drift_fail(DRIFT_ERR_ARG, "tensor name '%s%s' is too long", prefix,
                                             t->name));
        drift_status s = drift_st_writer_add(w, name, t->ndim, t->shape,
                                             base + drift_params_offset(p, i), dtype);
        if (s != DRIFT_OK)
            return s;
    }
    return DRIFT_OK;
}

drift_status drift_st_writer_meta(drift_st_writer *w, const char *key, const char *value)
{
    if (!w)
        return drift_fail(DRIFT_ERR_ARG, "drift_st_writer_meta: no writer");
    if (!key || !value)
        return writer_fail(w, drift_fail(DRIFT_ERR_ARG, "metadata needs a key and a value"));
    if (!reserve_one((void **)&w->meta, w->n_meta, &w->cap_meta, sizeof *w->meta))
        return writer_fail(w, drift_fail(DRIFT_ERR_NOMEM, "out of memory adding metadata '%s'", key));
    char *k = drift_st_dup_string(key), *v = drift_st_dup_string(value);
    if (!k || !v) {
        free(k);
        free(v);
        return writer_fail(w, drift_fail(DRIFT_ERR_NOMEM, "out of memory adding metadata '%s'", key));
    }
    w->meta[w->n_meta++] = (drift_st_meta){k, v};
    return DRIFT_OK;
}

drift_status drift_st_writer_save(drift_st_writer *w, const char *path)
{
    if (!w)
        return drift_fail(DRIFT_ERR_ARG, "drift_st_writer_save: no writer");
    if (w->error != DRIFT_OK)
        return drift_fail(w->error, "%s", w->error_msg);
    drift_st_entry *list = malloc((w->n ? w->n : 1) * sizeof *list);
    if (!list)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory writing %s", path ? path : "?");
    for (size_t i = 0; i < w->n; i++) {
        const writer_entry *e = &w->entries[i];
        list[i] = (drift_st_entry){e->name, e->ndim, e->shape, e->data, e->dtype};
    }
    drift_status s = drift_safetensors_write(path, list, w->n, w->meta, w->n_meta);
    free(list);
    return s;
}

drift_status drift_safetensors_save_model(const char *path, const drift_params *p,
                                          const char *config_json, drift_st_dtype dtype)
{
    cJSON *cfg = config_json ? cJSON_Parse(config_json) : NULL;
    bool object = cJSON_IsObject(cfg);
    cJSON_Delete(cfg);
    if (!object)
        return drift_fail(DRIFT_ERR_ARG, "%s: the model configuration is not a JSON object",
                          path ? path : "?");
    drift_st_writer *w = drift_st_writer_create();
    if (!w)
        return DRIFT_ERR_NOMEM;
    drift_st_writer_meta(w, "drift.format", DRIFT_MODEL_FORMAT);
    drift_st_writer_meta(w, "drift.config", config_json);
    drift_st_writer_add_params(w, p, NULL, "", dtype);
    drift_status s = drift_st_writer_save(w, path);
    drift_st_writer_free(w);
    return s;
}
