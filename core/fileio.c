/* fileio.c: atomic writes and whole-file reads (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static drift_status make_temp(drift_atomic_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    if (!path || !*path)
        return drift_fail(DRIFT_ERR_ARG, "no output path given");
    if (strlen(path) >= sizeof f->path)
        return drift_fail(DRIFT_ERR_ARG, "output path too long: %.64s...", path);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return drift_fail(DRIFT_ERR_IO, "%s is a folder, not a file", path);
    strcpy(f->path, path);
    snprintf(f->tmp_path, sizeof f->tmp_path, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(f->tmp_path);
    if (fd < 0)
        return drift_fail(DRIFT_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    fchmod(fd, 0644);
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        close(fd);
        unlink(f->tmp_path);
        return drift_fail(DRIFT_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return DRIFT_OK;
}

drift_status drift_atomic_open(drift_atomic_file *f, const char *path) { return make_temp(f, path); }

drift_status drift_atomic_reserve(drift_atomic_file *f, const char *path)
{
    drift_status s = make_temp(f, path);
    if (s == DRIFT_OK) {
        fclose(f->fp);
        f->fp = NULL;
    }
    return s;
}

drift_status drift_atomic_commit(drift_atomic_file *f)
{
    bool ok = true;
    int err = 0;
    if (f->fp) {
        ok = fflush(f->fp) == 0 && fsync(fileno(f->fp)) == 0;
        err = errno;
        ok = (fclose(f->fp) == 0) && ok;
        f->fp = NULL;
    }
    if (ok && rename(f->tmp_path, f->path) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        unlink(f->tmp_path);
        return drift_fail(DRIFT_ERR_IO, "cannot write %s: %s", f->path, strerror(err ? err : EIO));
    }
    return DRIFT_OK;
}

void drift_atomic_abort(drift_atomic_file *f)
{
    if (f->fp)
        fclose(f->fp);
    f->fp = NULL;
    if (f->tmp_path[0])
        unlink(f->tmp_path);
    f->tmp_path[0] = '\0';
}

drift_status drift_read_file(const char *path, size_t max_bytes, char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return drift_fail(DRIFT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return drift_fail(DRIFT_ERR_IO, "%s is not a regular file", path);
    }
    if ((size_t)st.st_size > max_bytes) {
        fclose(fp);
        return drift_fail(DRIFT_ERR_FORMAT, "%s is too large (%lld bytes, limit %zu)", path,
                          (long long)st.st_size, max_bytes);
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        fclose(fp);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading %s", path);
    }
    size_t got = fread(buf, 1, (size_t)st.st_size, fp);
    fclose(fp);
    if (got != (size_t)st.st_size) {
        free(buf);
        return drift_fail(DRIFT_ERR_IO, "short read from %s", path);
    }
    buf[got] = '\0';
    *data = buf;
    *size = got;
    return DRIFT_OK;
}

drift_status drift_make_dirs(const char *path, bool itself)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return drift_fail(DRIFT_ERR_ARG, "path too long: '%.80s...'", path);
    size_t n = strlen(buf);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && (buf[i] != '\0' || !itself))
            continue;
        char c = buf[i];
        buf[i] = '\0';
        struct stat st;
        if (mkdir(buf, 0777) != 0 && !(errno == EEXIST && stat(buf, &st) == 0 && S_ISDIR(st.st_mode)))
            return drift_fail(DRIFT_ERR_IO, "cannot create folder '%s': %s", buf,
                              errno == EEXIST ? "a file of that name exists" : strerror(errno));
        buf[i] = c;
    }
    return DRIFT_OK;
}
