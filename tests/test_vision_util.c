/* test_vision_util.c: see test_vision_util.h. */
#include "test_vision_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[64];

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void remove_scratch(void) { remove_tree(scratch); }

const char *vt_tmp(const char *name)
{
    static char bufs[8][4096];
    static int next;
    if (!scratch[0]) {
        strcpy(scratch, "/tmp/drift-vision-XXXXXX");
        if (!mkdtemp(scratch)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(remove_scratch);
    }
    char *b = bufs[next++ % 8];
    snprintf(b, 4096, "%s/%s", scratch, name);
    return b;
}

bool vt_light(void)
{
    const char *v = getenv("DRIFT_TEST_LIGHT");
    return v && *v && strcmp(v, "0") != 0;
}

bool vt_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool vt_write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

unsigned char *vt_read_bytes(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            unsigned char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    *n = len;
    return buf;
}

int vt_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

bool vt_contains(const char *s, const char *part) { return s && part && strstr(s, part) != NULL; }

bool vt_no_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool clean = true;
    struct dirent *e;
    while ((e = readdir(d)))
        clean = clean && !strstr(e->d_name, ".tmp-");
    closedir(d);
    return clean;
}
