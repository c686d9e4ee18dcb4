/* json.c: JSON helpers over cJSON for drift's file formats (see json.h). */
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

drift_status drift_json_parse(const char *text, size_t len, const char *what, cJSON **out)
{
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(text, len, &end, false);
    size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
    if (!*out)
        return drift_fail(DRIFT_ERR_FORMAT, "%s is not valid JSON (error near byte %zu of %zu)", what,
                          at, len);
    for (size_t i = at; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') {
            cJSON_Delete(*out);
            *out = NULL;
            return drift_fail(DRIFT_ERR_FORMAT, "%s has stray bytes after its JSON (byte %zu)", what, i);
        }
    return DRIFT_OK;
}

bool drift_json_uint(const cJSON *item, uint64_t *value)
{
    if (!cJSON_IsNumber(item))
        return false;
    double d = item->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d))
        return false;
    *value = (uint64_t)d;
    return true;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *drift_json_duplicate_key(const cJSON *object, bool *nomem)
{
    *nomem = false;
    size_t n = (size_t)cJSON_GetArraySize(object);
    if (n < 2)
        return NULL;
    const char **keys = malloc(n * sizeof *keys);
    if (!keys) {
        *nomem = true;
        return NULL;
    }
    size_t k = 0;
    for (const cJSON *c = object->child; c && k < n; c = c->next)
        keys[k++] = c->string ? c->string : "";
    qsort(keys, k, sizeof *keys, compare_strings);
    const char *dup = NULL;
    for (size_t i = 1; i < k && !dup; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            dup = keys[i];
    free(keys);
    return dup;
}
