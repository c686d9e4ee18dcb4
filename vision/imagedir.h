/* imagedir.h: finding the picture files in a folder tree, for batch
 * processing that keeps the tree (e.g. denoise in/ into out/ with the same
 * sub-folders). */
#ifndef DRIFT_VISION_IMAGEDIR_H
#define DRIFT_VISION_IMAGEDIR_H

#include <stddef.h>

#include "drift.h"

typedef struct drift_path_list {
    char **paths; /* count paths relative to the folder, e.g. "cats/a.png"; owned */
    size_t count;
} drift_path_list;

/* Lists the files under dir, recursively, whose names end in .png, .jpg or
 * .jpeg (any letter case), as paths relative to dir with '/' separators,
 * sorted bytewise (strcmp) so the order never depends on the file system.
 * Names starting with '.' are skipped; symbolic links to files are listed,
 * links to folders are not followed; at most 64 folder levels. An empty
 * result is not an error. Fails if dir cannot be read. */
drift_status drift_image_list(const char *dir, drift_path_list *out);
void drift_path_list_free(drift_path_list *list);

/* True if the name ends in .png, .jpg or .jpeg (any letter case). */
int drift_is_image_name(const char *name);

#endif
