/* imagedir.c: recursive listing of picture files (see imagedir.h). */
#include "imagedir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_DEPTH 64

int drift_is_image_name(const char *name)
{
    static const char *const ext[] = {".png", ".jpg", ".jpeg"};
    size_t n = strlen(name);
    for (int i = 0; i < 3; i++) {
        size_t e = strlen(ext[i]);
        if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
            return 1;
    }
    return 0;
}

/* Appends a copy of path; grows the array by doubling. */
static drift_status push(drift_path_list *l, size_t *cap, const char *path)
{
    if (l->count == *cap) {
        size_t ncap = *cap ? 2 * *cap : 64;
        char **p = realloc(l->paths, ncap * sizeof *p);
        if (!p)
            return drift_fail(DRIFT_ERR_NOMEM, "out of memory listing images");
        l->paths = p;
        *cap = ncap;
    }
    if (!(l->paths[l->count] = strdup(path)))
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory listing images");
    l->count++;
    return DRIFT_OK;
}

/* Lists root/rel (rel "" for root itself) into l. */
static drift_status walk(const char *root, const char *rel, int depth, drift_path_list *l, size_t *cap)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel) >= (int)sizeof dir)
        return drift_fail(DRIFT_ERR_ARG, "path too long under %s", root);
    DIR *d = opendir(dir);
    if (!d)
        return drift_fail(DRIFT_ERR_IO, "cannot read folder %s: %s", dir, strerror(errno));
    drift_status s = DRIFT_OK;
    struct dirent *e;
    while (s == DRIFT_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096], full[8200];
        if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >= (int)sizeof sub) {
            s = drift_fail(DRIFT_ERR_ARG, "path too long: %s/%s", dir, e->d_name);
            break;
        }
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat lst, st;
        if (lstat(full, &lst) != 0 || stat(full, &st) != 0)
            continue; /* vanished or a dangling link */
        if (S_ISDIR(lst.st_mode) && depth < MAX_DEPTH)
            s = walk(root, sub, depth + 1, l, cap);
        else if (S_ISREG(st.st_mode) && drift_is_image_name(e->d_name))
            s = push(l, cap, sub);
    }
    closedir(d);
    return s;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

drift_status drift_image_list(const char *dir, drift_path_list *out)
{
    memset(out, 0, sizeof *out);
    if (!dir || !*dir)
        return drift_fail(DRIFT_ERR_ARG, "no folder given to list images in");
    size_t cap = 0;
    drift_status s = walk(dir, "", 0, out, &cap);
    if (s != DRIFT_OK) {
        drift_path_list_free(out);
        return s;
    }
    if (out->count)
        qsort(out->paths, out->count, sizeof *out->paths, compare_paths);
    return DRIFT_OK;
}

void drift_path_list_free(drift_path_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        free(list->paths[i]);
    free(list->paths);
    memset(list, 0, sizeof *list);
}
