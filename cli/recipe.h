/* recipe.h: training recipes: small text files of `key = value` lines
 * (# starts a comment). Getters check types and ranges and name the file
 * and line of a bad value; keys nobody asked for are reported as likely
 * typos. */
#ifndef DRIFT_RECIPE_H
#define DRIFT_RECIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "drift.h"

typedef struct recipe recipe;

drift_status recipe_load(const char *path, recipe **out);
void recipe_free(recipe *r);

/* Sets or overrides a key (from the command line). */
drift_status recipe_set(recipe *r, const char *key, const char *value);

/* Each getter returns the fallback when the key is absent. A bad value
 * records an error (see recipe_status) and returns the fallback. */
const char *recipe_str(recipe *r, const char *key, const char *fallback);
long recipe_int(recipe *r, const char *key, long lo, long hi, long fallback);
double recipe_num(recipe *r, const char *key, double lo, double hi, double fallback);
/* A comma-separated list of whole numbers; returns the count (or -1). */
int recipe_ints(recipe *r, const char *key, int *out, int max, long lo, long hi);

/* The first error of any getter, or an unknown key; DRIFT_OK otherwise. */
drift_status recipe_status(recipe *r);

/* The whole recipe as text (key = value lines, sorted), for provenance. */
char *recipe_text(const recipe *r);

#endif
