/* recipe.c: see recipe.h. */
#include "recipe.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 256

typedef struct {
    char *key, *value;
    int line; /* 0: set on the command line */
    bool used;
} entry;

struct recipe {
    char path[1024];
    entry e[MAX_ENTRIES];
    int n;
    drift_status status;
};

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static entry *find(recipe *r, const char *key)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->e[i].key, key) == 0)
            return &r->e[i];
    return NULL;
}

static drift_status put(recipe *r, const char *key, const char *value, int line)
{
    entry *e = find(r, key);
    if (!e) {
        if (r->n == MAX_ENTRIES)
            return drift_fail(DRIFT_ERR_FORMAT, "%s: more than %d settings", r->path, MAX_ENTRIES);
        e = &r->e[r->n++];
        e->key = strdup(key);
    } else {
        free(e->value);
    }
    e->value = strdup(value);
    e->line = line;
    if (!e->key || !e->value)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s", r->path);
    return DRIFT_OK;
}

drift_status recipe_load(const char *path, recipe **out)
{
    *out = NULL;
    char *text;
    size_t size;
    drift_status s = drift_read_file(path, 1 << 20, &text, &size);
    if (s != DRIFT_OK)
        return s;
    recipe *r = calloc(1, sizeof *r);
    if (!r) {
        free(text);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s", path);
    }
    snprintf(r->path, sizeof r->path, "%s", path);
    int line = 0;
    for (char *save = NULL, *ln = strtok_r(text, "\n", &save); ln && s == DRIFT_OK;
         ln = strtok_r(NULL, "\n", &save)) {
        line++;
        char *hash = strchr(ln, '#');
        if (hash)
            *hash = '\0';
        char *t = trim(ln);
        if (!*t)
            continue;
        char *eq = strchr(t, '=');
        if (!eq) {
            s = drift_fail(DRIFT_ERR_FORMAT, "%s:%d: expected 'key = value', got '%.60s'", path, line, t);
            break;
        }
        *eq = '\0';
        char *key = trim(t), *value = trim(eq + 1);
        if (!*key)
            s = drift_fail(DRIFT_ERR_FORMAT, "%s:%d: a setting without a name", path, line);
        else if (find(r, key))
            s = drift_fail(DRIFT_ERR_FORMAT, "%s:%d: '%s' is set twice", path, line, key);
        else
            s = put(r, key, value, line);
    }
    free(text);
    if (s != DRIFT_OK) {
        recipe_free(r);
        return s;
    }
    *out = r;
    return DRIFT_OK;
}

void recipe_free(recipe *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++) {
        free(r->e[i].key);
        free(r->e[i].value);
    }
    free(r);
}

drift_status recipe_set(recipe *r, const char *key, const char *value) { return put(r, key, value, 0); }

static void bad(recipe *r, const entry *e, const char *want)
{
    if (r->status != DRIFT_OK)
        return;
    if (e->line)
        r->status = drift_fail(DRIFT_ERR_FORMAT, "%s:%d: %s = '%s': %s", r->path, e->line, e->key, e->value, want);
    else
        r->status = drift_fail(DRIFT_ERR_ARG, "%s = '%s': %s", e->key, e->value, want);
}

const char *recipe_str(recipe *r, const char *key, const char *fallback)
{
    entry *e = find(r, key);
    if (!e)
        return fallback;
    e->used = true;
    return e->value;
}

double recipe_num(recipe *r, const char *key, double lo, double hi, double fallback)
{
    entry *e = find(r, key);
    if (!e)
        return fallback;
    e->used = true;
    char *end;
    errno = 0;
    double v = strtod(e->value, &end);
    if (errno || end == e->value || *end || !isfinite(v) || v < lo || v > hi) {
        char want[96];
        snprintf(want, sizeof want, "wants a number from %g to %g", lo, hi);
        bad(r, e, want);
        return fallback;
    }
    return v;
}

long recipe_int(recipe *r, const char *key, long lo, long hi, long fallback)
{
    entry *e = find(r, key);
    if (!e)
        return fallback;
    e->used = true;
    char *end;
    errno = 0;
    long v = strtol(e->value, &end, 10);
    if (errno || end == e->value || *end || v < lo || v > hi) {
        char want[96];
        snprintf(want, sizeof want, "wants a whole number from %ld to %ld", lo, hi);
        bad(r, e, want);
        return fallback;
    }
    return v;
}

int recipe_ints(recipe *r, const char *key, int *out, int max, long lo, long hi)
{
    entry *e = find(r, key);
    if (!e)
        return -1;
    e->used = true;
    int n = 0;
    const char *p = e->value;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < lo || v > hi || n == max) {
            char want[128];
            snprintf(want, sizeof want, "wants up to %d comma-separated whole numbers from %ld to %ld", max, lo, hi);
            bad(r, e, want);
            return -1;
        }
        out[n++] = (int)v;
        while (isspace((unsigned char)*end))
            end++;
        if (*end == ',')
            end++;
        else if (*end) {
            bad(r, e, "wants comma-separated whole numbers");
            return -1;
        }
        p = end;
        while (isspace((unsigned char)*p))
            p++;
    }
    return n;
}

drift_status recipe_status(recipe *r)
{
    if (r->status != DRIFT_OK)
        return r->status;
    for (int i = 0; i < r->n; i++)
        if (!r->e[i].used) {
            if (r->e[i].line)
                return r->status = drift_fail(DRIFT_ERR_FORMAT, "%s:%d: unknown setting '%s'", r->path,
                                              r->e[i].line, r->e[i].key);
            return r->status = drift_fail(DRIFT_ERR_ARG, "unknown setting '%s'", r->e[i].key);
        }
    return DRIFT_OK;
}

static int by_key(const void *a, const void *b)
{
    return strcmp((*(const entry *const *)a)->key, (*(const entry *const *)b)->key);
}

char *recipe_text(const recipe *r)
{
    const entry *sorted[MAX_ENTRIES];
    size_t len = 1;
    for (int i = 0; i < r->n; i++) {
        sorted[i] = &r->e[i];
        len += strlen(r->e[i].key) + strlen(r->e[i].value) + 4;
    }
    qsort(sorted, (size_t)r->n, sizeof *sorted, by_key);
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    *p = '\0';
    for (int i = 0; i < r->n; i++)
        p += sprintf(p, "%s = %s\n", sorted[i]->key, sorted[i]->value);
    return s;
}
