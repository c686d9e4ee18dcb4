/* test_vision_util.h: a scratch folder for the vision tests, removed at
 * exit, and small file helpers. */
#ifndef DRIFT_TEST_VISION_UTIL_H
#define DRIFT_TEST_VISION_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* A path inside this test's scratch folder (made on first use, removed with
 * everything in it at exit). Each call returns a new buffer (8 rotate). */
const char *vt_tmp(const char *name);

/* Whether DRIFT_TEST_LIGHT is set (sanitizer runs: smaller sizes). */
bool vt_light(void);

bool vt_exists(const char *path);
/* Writes n bytes to path; false on failure. */
bool vt_write_bytes(const char *path, const void *data, size_t n);
/* Reads a whole file (malloc'd, caller frees) or NULL. */
unsigned char *vt_read_bytes(const char *path, size_t *n);
/* Number of entries in a folder (without . and ..), -1 if unreadable. */
int vt_count_entries(const char *dir);
/* True if no name in dir contains ".tmp-" (drift's temporary files). */
bool vt_no_temp_files(const char *dir);
/* Whether s contains part. */
bool vt_contains(const char *s, const char *part);

#endif
