/* safetensors.c: the safetensors format basics shared by drift's reader
 * and writer (dtype names and sizes, float32 <-> half / bfloat16
 * conversion, tensor size checks), and the reader: opening and validating
 * a file, reading tensors as float32, filling parameter sets and reading
 * drift model configurations (see safetensors.h). Writing is in
 * safetensors_write.c. */
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "safetensors_impl.h"

/* ---- dtypes and conversions ------------------------------------------ */

static const struct {
    const char *name;
    size_t size;
} DTYPES[] = {
    [DRIFT_ST_F32] = {"F32", 4},  [DRIFT_ST_F16] = {"F16", 2},   [DRIFT_ST_BF16] = {"BF16", 2},
    [DRIFT_ST_F64] = {"F64", 8},  [DRIFT_ST_I64] = {"I64", 8},   [DRIFT_ST_I32] = {"I32", 4},
    [DRIFT_ST_I16] = {"I16", 2},  [DRIFT_ST_I8] = {"I8", 1},     [DRIFT_ST_U64] = {"U64", 8},
    [DRIFT_ST_U32] = {"U32", 4},  [DRIFT_ST_U16] = {"U16", 2},   [DRIFT_ST_U8] = {"U8", 1},
    [DRIFT_ST_BOOL] = {"BOOL", 1}, [DRIFT_ST_F8_E4M3] = {"F8_E4M3", 1},
    [DRIFT_ST_F8_E5M2] = {"F8_E5M2", 1},
};
#define N_DTYPES (sizeof DTYPES / sizeof DTYPES[0])

const char *drift_st_dtype_name(drift_st_dtype d)
{
    return (unsigned)d < N_DTYPES ? DTYPES[d].name : "?";
}

size_t drift_st_dtype_size(drift_st_dtype d)
{
    return (unsigned)d < N_DTYPES ? DTYPES[d].size : 0;
}

static bool dtype_from_name(const char *s, drift_st_dtype *d)
{
    for (unsigned i = 0; i < N_DTYPES; i++)
        if (strcmp(s, DTYPES[i].name) == 0) {
            *d = (drift_st_dtype)i;
            return true;
        }
    return false;
}

bool drift_st_dtype_convertible(drift_st_dtype d)
{
    return d == DRIFT_ST_F32 || d == DRIFT_ST_F16 || d == DRIFT_ST_BF16;
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Shift right by `shift` (1..31), rounding to nearest, ties to even. */
static uint32_t shift_round_even(uint32_t m, int shift)
{
    uint32_t r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    return r + (rem > half || (rem == half && (r & 1)));
}

uint16_t drift_f32_to_f16(float f)
{
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) /* Inf, or NaN made quiet with its top payload bits */
        return sign | 0x7c00 | (x > 0x7f800000u ? 0x200 | ((x >> 13) & 0x3ff) : 0);
    if (x >= 0x477ff000u) /* >= 65520 rounds past the largest half, 65504 */
        return sign | 0x7c00;
    if (x >= 0x38800000u) /* normal half: rebias the exponent, round 13 bits */
        return sign | (uint16_t)shift_round_even(x - 0x38000000u, 13);
    if (x < 0x33000001u) /* at most 2^-25: rounds to zero (ties to even) */
        return sign;
    /* Subnormal half: value = m * 2^(e - 150), in units of 2^-24. */
    uint32_t e = x >> 23, m = (x & 0x7fffffu) | 0x800000u;
    return sign | (uint16_t)shift_round_even(m, (int)(126 - e));
}

float drift_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0) { /* zero or subnormal: m * 2^-24, exact in float */
        float v = (float)m * 0x1p-24f;
        return bits_f32(f32_bits(v) | sign);
    }
    if (e == 31)
        return bits_f32(sign | 0x7f800000u | (m << 13));
    return bits_f32(sign | ((e + 112) << 23) | (m << 13));
}

uint16_t drift_f32_to_bf16(float f)
{
    uint32_t x = f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) /* NaN: keep it a quiet NaN */
        return (uint16_t)((x >> 16) | 0x40);
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}

float drift_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

/* ---- small helpers ----------------------------------------------------- */

/* "2.1 GB", "100 MB", "512 kB", "17 bytes" */
static const char *human_size(uint64_t n, char *buf, size_t size)
{
    static const char *const units[] = {"bytes", "kB", "MB", "GB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1000 && u < 3) {
        v /= 1000;
        u++;
    }
    if (u == 0 || v == floor(v))
        snprintf(buf, size, "%.0f %s", v, units[u]);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
    return buf;
}

/* A malloc'd copy of s (NULL when out of memory). */
char *drift_st_dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* "(64,32,3,3)" from int64 dimensions. */
static const char *shape_str64(int ndim, const int64_t *shape, char *buf, size_t size)
{
    size_t off = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < ndim && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (off < size)
        snprintf(buf + off, size - off, ")");
    return buf;
}

/* prod(shape) * elem_size into *bytes, false on overflow. */
bool drift_st_tensor_bytes(int ndim, const int64_t *shape, size_t elem_size, uint64_t *numel,
                           uint64_t *bytes)
{
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        uint64_t d = (uint64_t)shape[i];
        if (d != 0 && n > UINT64_MAX / d)
            return false;
        n *= d;
    }
    if (n > SIZE_MAX / 8 || n > UINT64_MAX / elem_size)
        return false;
    *numel = n;
    *bytes = n * elem_size;
    return true;
}

/* ---- reading ---------------------------------------------------------- */

struct drift_safetensors {
    char *path;
    int fd;
    uint64_t data_start, data_size;
    cJSON *json;              /* the parsed header: owns names and metadata */
    drift_st_info *entries;   /* sorted by offset */
    size_t count;
    drift_st_info **by_name;  /* sorted by name */
    float **cache;            /* drift_safetensors_get buffers, by entry */
    const char **meta_keys, **meta_values;
    size_t n_meta;
};

static drift_status read_at(const drift_safetensors *h, void *buf, uint64_t n, uint64_t offset)
{
    unsigned char *p = buf;
    while (n > 0) {
        size_t chunk = n < (1u << 30) ? (size_t)n : (1u << 30);
        ssize_t got = pread(h->fd, p, chunk, (off_t)offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return drift_fail(DRIFT_ERR_IO, "%s: %s", h->path,
                              got < 0 ? strerror(errno) : "file ended early (changed while open?)");
        p += got;
        n -= (uint64_t)got;
        offset += (uint64_t)got;
    }
    return DRIFT_OK;
}

static drift_status parse_shape(const drift_safetensors *h, const cJSON *shape, drift_st_info *e)
{
    if (!cJSON_IsArray(shape))
        return drift_fail(DRIFT_ERR_FORMAT, "%s: tensor '%s' has no shape array", h->path, e->name);
    int nd = cJSON_GetArraySize(shape);
    if (nd > DRIFT_ST_MAX_DIMS)
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "%s: tensor '%s' has %d dimensions (drift reads up to %d)",
                          h->path, e->name, nd, DRIFT_ST_MAX_DIMS);
    e->ndim = nd;
    int i = 0;
    for (const cJSON *d = shape->child; d; d = d->next, i++) {
        uint64_t v;
        if (!drift_json_uint(d, &v))
            return drift_fail(DRIFT_ERR_FORMAT,
                              "%s: tensor '%s': shape entry %d is not an integer >= 0",
                              h->path, e->name, i);
        e->shape[i] = (int64_t)v;
    }
    return DRIFT_OK;
}

static drift_status parse_offsets(const drift_safetensors *h, const cJSON *off, drift_st_info *e)
{
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 || !drift_json_uint(off->child, &e->begin) ||
        !drift_json_uint(off->child->next, &e->end))
        return drift_fail(DRIFT_ERR_FORMAT, "%s: tensor '%s' needs data_offsets [begin, end] of integers >= 0",
                          h->path, e->name);
    if (e->end < e->begin)
        return drift_fail(DRIFT_ERR_FORMAT, "%s: tensor '%s' ends (byte %llu) before it begins (byte %llu)",
                          h->path, e->name, (unsigned long long)e->end, (unsigned long long)e->begin);
    return DRIFT_OK;
}

static drift_status parse_entry(const drift_safetensors *h, const cJSON *item, drift_st_info *e)
{
    e->name = item->string;
    if (!cJSON_IsObject(item))
        return drift_fail(DRIFT_ERR_FORMAT, "%s: tensor '%s' is not described by a JSON object", h->path,
                          e->name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    if (!cJSON_IsString(dt))
        return drift_fail(DRIFT_ERR_FORMAT, "%s: tensor '%s' has no dtype", h->path, e->name);
    if (!dtype_from_name(dt->valuestring, &e->dtype))
        return drift_fail(DRIFT_ERR_FORMAT, "%s: tensor '%s' has unknown dtype '%.32s'", h->path,
                          e->name, dt->valuestring);
    drift_status s = parse_shape(h, cJSON_GetObjectItemCaseSensitive(item, "shape"), e);
    if (s == DRIFT_OK)
        s = parse_offsets(h, cJSON_GetObjectItemCaseSensitive(item, "data_offsets"), e);
    if (s != DRIFT_OK)
        return s;
    uint64_t numel, bytes;
    char sh[160];
    if (!drift_st_tensor_bytes(e->ndim, e->shape, drift_st_dtype_size(e->dtype), &numel, &bytes))
        return drift_fail(DRIFT_ERR_FORMAT, "%s: tensor '%s' of shape %s is too large", h->path, e->name,
                          shape_str64(e->ndim, e->shape, sh, sizeof sh));
    e->numel = (size_t)numel;
    if (bytes != e->end - e->begin)
        return drift_fail(DRIFT_ERR_FORMAT,
                          "%s: tensor '%s' of shape %s and dtype %s needs %llu bytes, but its offsets "
                          "[%llu, %llu] hold %llu",
                          h->path, e->name, shape_str64(e->ndim, e->shape, sh, sizeof sh),
                          drift_st_dtype_name(e->dtype), (unsigned long long)bytes,
                          (unsigned long long)e->begin, (unsigned long long)e->end,
                          (unsigned long long)(e->end - e->begin));
    return DRIFT_OK;
}

/* No key twice in an object of the header. */
static drift_status check_repeats(const drift_safetensors *h, const cJSON *object, const char *what)
{
    bool nomem;
    const char *dup = drift_json_duplicate_key(object, &nomem);
    if (nomem)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s", h->path);
    if (dup)
        return drift_fail(DRIFT_ERR_FORMAT, "%s: %s '%s' appears twice", h->path, what, dup);
    return DRIFT_OK;
}

static drift_status parse_metadata(drift_safetensors *h, const cJSON *m)
{
    if (cJSON_IsNull(m))
        return DRIFT_OK;
    if (!cJSON_IsObject(m))
        return drift_fail(DRIFT_ERR_FORMAT, "%s: __metadata__ is not a JSON object", h->path);
    size_t n = (size_t)cJSON_GetArraySize(m);
    h->meta_keys = malloc((n ? n : 1) * sizeof *h->meta_keys);
    h->meta_values = malloc((n ? n : 1) * sizeof *h->meta_values);
    if (!h->meta_keys || !h->meta_values)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s", h->path);
    for (const cJSON *v = m->child; v; v = v->next) {
        if (!cJSON_IsString(v))
            return drift_fail(DRIFT_ERR_FORMAT, "%s: metadata value of '%s' is not a string", h->path,
                              v->string);
        h->meta_keys[h->n_meta] = v->string;
        h->meta_values[h->n_meta++] = v->valuestring;
    }
    return check_repeats(h, m, "metadata key");
}

static drift_status parse_header(drift_safetensors *h, const char *text, size_t n)
{
    char what[4200];
    snprintf(what, sizeof what, "%s: the header", h->path);
    drift_status s = drift_json_parse(text, n, what, &h->json);
    if (s != DRIFT_OK)
        return s;
    if (!cJSON_IsObject(h->json))
        return drift_fail(DRIFT_ERR_FORMAT, "%s: the header is not a JSON object", h->path);
    if ((s = check_repeats(h, h->json, "tensor")) != DRIFT_OK)
        return s;
    size_t items = (size_t)cJSON_GetArraySize(h->json);
    h->entries = calloc(items ? items : 1, sizeof *h->entries);
    if (!h->entries)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s", h->path);
    for (const cJSON *c = h->json->child; s == DRIFT_OK && c; c = c->next)
        s = strcmp(c->string, "__metadata__") == 0 ? parse_metadata(h, c)
                                                   : parse_entry(h, c, &h->entries[h->count++]);
    return s;
}

static int compare_offsets(const void *a, const void *b)
{
    const drift_st_info *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : (x->end > y->end);
}

static int compare_info_names(const void *a, const void *b)
{
    return strcmp((*(const drift_st_info *const *)a)->name, (*(const drift_st_info *const *)b)->name);
}

/* Tensors must tile the data section exactly: in bounds, no overlap, no gap. */
static drift_status check_layout(drift_safetensors *h)
{
    for (size_t i = 0; i < h->count; i++)
        if (h->entries[i].end > h->data_size)
            return drift_fail(DRIFT_ERR_FORMAT, "%s: tensor '%s' ends at byte %llu, past the end of the data (%llu bytes)",
                              h->path, h->entries[i].name, (unsigned long long)h->entries[i].end,
                              (unsigned long long)h->data_size);
    qsort(h->entries, h->count, sizeof *h->entries, compare_offsets);
    uint64_t covered = 0;
    for (size_t i = 0; i < h->count; i++) {
        const drift_st_info *e = &h->entries[i];
        if (e->begin < covered)
            return drift_fail(DRIFT_ERR_FORMAT, "%s: tensors '%s' and '%s' overlap (bytes %llu to %llu)",
                              h->path, h->entries[i - 1].name, e->name, (unsigned long long)e->begin,
                              (unsigned long long)covered);
        if (e->begin > covered)
            return drift_fail(DRIFT_ERR_FORMAT, "%s: bytes %llu to %llu of the data belong to no tensor",
                              h->path, (unsigned long long)covered, (unsigned long long)e->begin);
        covered = e->end;
    }
    if (covered != h->data_size)
        return drift_fail(DRIFT_ERR_FORMAT, "%s: the data section has %llu bytes but its tensors cover %llu",
                          h->path, (unsigned long long)h->data_size, (unsigned long long)covered);
    h->by_name = malloc((h->count ? h->count : 1) * sizeof *h->by_name);
    h->cache = calloc(h->count ? h->count : 1, sizeof *h->cache);
    if (!h->by_name || !h->cache)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s", h->path);
    for (size_t i = 0; i < h->count; i++)
        h->by_name[i] = &h->entries[i];
    qsort(h->by_name, h->count, sizeof *h->by_name, compare_info_names);
    return DRIFT_OK;
}

/* Opens the file, checks the header length and reads the header text. */
static drift_status read_header(drift_safetensors *h, char **text, size_t *len)
{
    h->fd = open(h->path, O_RDONLY | O_CLOEXEC);
    if (h->fd < 0)
        return drift_fail(DRIFT_ERR_IO, "cannot open %s: %s", h->path, strerror(errno));
    struct stat st;
    if (fstat(h->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return drift_fail(DRIFT_ERR_IO, "%s is not a regular file", h->path);
    uint64_t size = (uint64_t)st.st_size;
    if (size < 8)
        return drift_fail(DRIFT_ERR_FORMAT, "%s: %llu bytes is too short for a safetensors file", h->path,
                          (unsigned long long)size);
    unsigned char head[8];
    drift_status s = read_at(h, head, 8, 0);
    if (s != DRIFT_OK)
        return s;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | head[i];
    char a[32], b[32];
    if (n > DRIFT_ST_MAX_HEADER)
        return drift_fail(DRIFT_ERR_FORMAT, "%s: header of %s is larger than the %s limit", h->path,
                          human_size(n, a, sizeof a), human_size(DRIFT_ST_MAX_HEADER, b, sizeof b));
    if (n > size - 8)
        return drift_fail(DRIFT_ERR_FORMAT, "%s: header of %llu bytes is longer than the file (%llu bytes after the length)",
                          h->path, (unsigned long long)n, (unsigned long long)(size - 8));
    h->data_start = 8 + n;
    h->data_size = size - 8 - n;
    *text = malloc((size_t)n + 1);
    if (!*text)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading the header of %s", h->path);
    (*text)[n] = '\0';
    *len = (size_t)n;
    return read_at(h, *text, n, 8);
}

drift_status drift_safetensors_open(const char *path, drift_safetensors **out)
{
    if (!out)
        return drift_fail(DRIFT_ERR_ARG, "drift_safetensors_open: no output handle");
    *out = NULL;
    if (!path)
        return drift_fail(DRIFT_ERR_ARG, "drift_safetensors_open: no path");
    drift_safetensors *h = calloc(1, sizeof *h);
    if (!h || !(h->path = drift_st_dup_string(path))) {
        free(h);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory opening %s", path);
    }
    h->fd = -1;
    char *text = NULL;
    size_t len = 0;
    drift_status s = read_header(h, &text, &len);
    if (s == DRIFT_OK)
        s = parse_header(h, text, len);
    free(text);
    if (s == DRIFT_OK)
        s = check_layout(h);
    if (s != DRIFT_OK) {
        drift_safetensors_close(h);
        return s;
    }
    *out = h;
    return DRIFT_OK;
}

void drift_safetensors_close(drift_safetensors *h)
{
    if (!h)
        return;
    if (h->fd >= 0)
        close(h->fd);
    for (size_t i = 0; h->cache && i < h->count; i++)
        free(h->cache[i]);
    free(h->cache);
    free(h->by_name);
    free(h->entries);
    free(h->meta_keys);
    free(h->meta_values);
    cJSON_Delete(h->json);
    free(h->path);
    free(h);
}

const char *drift_safetensors_path(const drift_safetensors *h) { return h ? h->path : ""; }
size_t drift_safetensors_count(const drift_safetensors *h) { return h ? h->count : 0; }
size_t drift_safetensors_meta_count(const drift_safetensors *h) { return h ? h->n_meta : 0; }

const drift_st_info *drift_safetensors_entry(const drift_safetensors *h, size_t i)
{
    return h && i < h->count ? &h->entries[i] : NULL;
}

const drift_st_info *drift_safetensors_find(const drift_safetensors *h, const char *name)
{
    if (!h || !name)
        return NULL;
    size_t lo = 0, hi = h->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, h->by_name[mid]->name);
        if (c == 0)
            return h->by_name[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *drift_safetensors_meta(const drift_safetensors *h, const char *key)
{
    for (size_t i = 0; h && key && i < h->n_meta; i++)
        if (strcmp(h->meta_keys[i], key) == 0)
            return h->meta_values[i];
    return NULL;
}

const char *drift_safetensors_meta_key(const drift_safetensors *h, size_t i)
{
    return h && i < h->n_meta ? h->meta_keys[i] : NULL;
}

const char *drift_safetensors_meta_value(const drift_safetensors *h, size_t i)
{
    return h && i < h->n_meta ? h->meta_values[i] : NULL;
}

/* Reads entry e as float32 into out[0..e->numel). Half types are read
 * into the upper half of out's bytes and widened front to back, which
 * never overwrites a half value before it is read. */
static drift_status read_entry(const drift_safetensors *h, const drift_st_info *e, float *out)
{
    if (!drift_st_dtype_convertible(e->dtype))
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "%s: tensor '%s' has dtype %s; drift reads F32, F16 and BF16",
                          h->path, e->name, drift_st_dtype_name(e->dtype));
    uint64_t bytes = e->end - e->begin;
    if (e->dtype == DRIFT_ST_F32)
        return read_at(h, out, bytes, h->data_start + e->begin);
    unsigned char *raw = (unsigned char *)out + (size_t)bytes;
    drift_status s = read_at(h, raw, bytes, h->data_start + e->begin);
    for (size_t i = 0; s == DRIFT_OK && i < e->numel; i++) {
        uint16_t v = (uint16_t)(raw[2 * i] | (raw[2 * i + 1] << 8));
        out[i] = e->dtype == DRIFT_ST_F16 ? drift_f16_to_f32(v) : drift_bf16_to_f32(v);
    }
    return s;
}

static const drift_st_info *require(const drift_safetensors *h, const char *name)
{
    const drift_st_info *e = drift_safetensors_find(h, name);
    if (!e)
        drift_fail(DRIFT_ERR_ARG, "%s has no tensor '%s'", h ? h->path : "(no file)", name ? name : "(null)");
    return e;
}

drift_status drift_safetensors_read(drift_safetensors *h, const char *name, float *out, size_t numel)
{
    const drift_st_info *e = require(h, name);
    if (!e)
        return DRIFT_ERR_ARG;
    if (numel != e->numel)
        return drift_fail(DRIFT_ERR_SHAPE, "%s: tensor '%s' has %zu elements, not %zu", h->path, name,
                          e->numel, numel);
    return read_entry(h, e, out);
}

drift_status drift_safetensors_get(drift_safetensors *h, const char *name, const float **out)
{
    *out = NULL;
    const drift_st_info *e = require(h, name);
    if (!e)
        return DRIFT_ERR_ARG;
    size_t i = (size_t)(e - h->entries);
    if (!h->cache[i]) {
        float *buf = malloc(e->numel ? e->numel * sizeof(float) : 1);
        if (!buf)
            return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading '%s' from %s", name, h->path);
        drift_status s = read_entry(h, e, buf);
        if (s != DRIFT_OK) {
            free(buf);
            return s;
        }
        h->cache[i] = buf;
    }
    *out = h->cache[i];
    return DRIFT_OK;
}

/* ---- loading parameter sets ------------------------------------------ */

typedef struct name_list {
    size_t count;
    char text[512];
} name_list;

static void list_name(name_list *l, const char *name)
{
    size_t used = strlen(l->text);
    if (l->count < 5 && used < sizeof l->text)
        snprintf(l->text + used, sizeof l->text - used, "%s'%s'", l->count ? ", " : "", name);
    else if (l->count == 5 && used < sizeof l->text)
        snprintf(l->text + used, sizeof l->text - used, ", ...");
    l->count++;
}

static bool same_shape(const drift_st_info *e, const drift_tensor *t)
{
    if (e->ndim != t->ndim)
        return false;
    for (int i = 0; i < t->ndim; i++)
        if (e->shape[i] != t->shape[i])
            return false;
    return true;
}

/* Every tensor of p present with its shape and a readable dtype. */
static drift_status check_model_tensors(const drift_safetensors *h, const drift_params *p,
                                        const char *prefix, name_list *missing)
{
    char name[1024], a[160], b[64];
    for (size_t i = 0; i < drift_params_count(p); i++) {
        const drift_tensor *t = drift_params_get(p, i);
        snprintf(name, sizeof name, "%s%s", prefix, t->name);
        const drift_st_info *e = drift_safetensors_find(h, name);
        if (!e) {
            list_name(missing, name);
            continue;
        }
        if (!same_shape(e, t))
            return drift_fail(DRIFT_ERR_SHAPE, "%s: tensor '%s' has shape %s but the model needs %s",
                              h->path, name, shape_str64(e->ndim, e->shape, a, sizeof a),
                              drift_tensor_shape_str(t, b, sizeof b));
        if (!drift_st_dtype_convertible(e->dtype))
            return drift_fail(DRIFT_ERR_UNSUPPORTED, "%s: tensor '%s' has dtype %s; drift reads F32, F16 and BF16",
                              h->path, name, drift_st_dtype_name(e->dtype));
    }
    return DRIFT_OK;
}

drift_status drift_safetensors_load_buffer(drift_safetensors *h, const drift_params *p,
                                           float *buffer, const char *prefix)
{
    if (!h || !drift_params_finalized(p))
        return drift_fail(DRIFT_ERR_ARG, "loading needs an open file and a finalized parameter set");
    prefix = prefix ? prefix : "";
    buffer = buffer ? buffer : drift_params_data(p);
    name_list missing = {0}, unexpected = {0};
    drift_status s = check_model_tensors(h, p, prefix, &missing);
    if (s != DRIFT_OK)
        return s;
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < h->count; i++) {
        const char *name = h->entries[i].name;
        if (strncmp(name, prefix, plen) == 0 && !drift_params_find(p, name + plen))
            list_name(&unexpected, name);
    }
    if (missing.count || unexpected.count)
        return drift_fail(DRIFT_ERR_SHAPE, "%s: %zu tensor(s) the model needs are missing%s%s; "
                          "%zu tensor(s) are not part of the model%s%s",
                          h->path, missing.count, missing.count ? ": " : "", missing.text,
                          unexpected.count, unexpected.count ? ": " : "", unexpected.text);
    char name[1024];
    for (size_t i = 0; s == DRIFT_OK && i < drift_params_count(p); i++) {
        const drift_tensor *t = drift_params_get(p, i);
        snprintf(name, sizeof name, "%s%s", prefix, t->name);
        s = read_entry(h, drift_safetensors_find(h, name), buffer + drift_params_offset(p, i));
    }
    return s;
}

drift_status drift_safetensors_load_params(drift_safetensors *h, drift_params *p, const char *prefix)
{
    return drift_safetensors_load_buffer(h, p, NULL, prefix);
}

drift_status drift_safetensors_model_config(const drift_safetensors *h, const char **config_json)
{
    *config_json = NULL;
    const char *format = drift_safetensors_meta(h, "drift.format");
    if (!format)
        return drift_fail(DRIFT_ERR_FORMAT, "%s is not a drift model (no drift.format metadata)",
                          drift_safetensors_path(h));
    if (strcmp(format, DRIFT_MODEL_FORMAT) != 0)
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "%s has drift.format '%.16s'; this drift reads format %s",
                          drift_safetensors_path(h), format, DRIFT_MODEL_FORMAT);
    *config_json = drift_safetensors_meta(h, "drift.config");
    if (!*config_json)
        return drift_fail(DRIFT_ERR_FORMAT, "%s has no drift.config metadata", drift_safetensors_path(h));
    return DRIFT_OK;
}
