/* fileio.h: files that appear whole or not at all.
 *
 * Every writer in drift (checkpoints, audio, images, plots) writes to a
 * temporary name in the destination's folder and renames it into place
 * when complete, so a failure or a kill never leaves a half-written file. */
#ifndef DRIFT_FILEIO_H
#define DRIFT_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "status.h"

typedef struct drift_atomic_file {
    FILE *fp;            /* write through this (NULL for path-only use) */
    char path[4096];     /* the final name */
    char tmp_path[4200]; /* where the data goes until commit */
} drift_atomic_file;

/* Creates a unique temporary file beside `path` and opens it for writing.
 * Fails with a message naming the folder if it is not writable. */
drift_status drift_atomic_open(drift_atomic_file *f, const char *path);

/* Like drift_atomic_open but only reserves the temporary name (file created
 * empty and closed), for libraries that open files by name themselves. */
drift_status drift_atomic_reserve(drift_atomic_file *f, const char *path);

/* Flushes, syncs, closes and renames into place. On failure the temporary
 * file is removed and the destination is untouched. */
drift_status drift_atomic_commit(drift_atomic_file *f);

/* Closes and removes the temporary file; the destination is untouched. */
void drift_atomic_abort(drift_atomic_file *f);

/* mkdir -p: creates the folders leading to path, and path itself when
 * `itself`; folders that exist are fine. Fails naming the folder. */
drift_status drift_make_dirs(const char *path, bool itself);

/* Whole-file read into a malloc'd buffer (NUL-terminated for text use);
 * refuses files over max_bytes with a message. */
drift_status drift_read_file(const char *path, size_t max_bytes, char **data, size_t *size);

#endif
