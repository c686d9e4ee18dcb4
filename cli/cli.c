/* cli.c: shared helpers of the drift command (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "drift %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_fail_status(const char *cmd, const char *what)
{
    return cli_error(cmd, "%s: %s", what, drift_last_error());
}

bool cli_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        cli_error(cmd, "%s wants a whole number from %ld to %ld, not '%s'", opt, lo, hi, s);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_float(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
        cli_error(cmd, "%s wants a number from %g to %g, not '%s'", opt, lo, hi, s);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-') {
        cli_error(cmd, "%s wants a non-negative whole number, not '%s'", opt, s);
        return false;
    }
    *out = v;
    return true;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void cli_progress_start(cli_progress *p, const char *label, long total, bool quiet)
{
    p->label = label;
    p->total = total > 0 ? total : 1;
    p->done = 0;
    p->base = 0;
    p->start = p->last_print = cli_now();
    p->last_percent = -1;
    p->tty = isatty(STDERR_FILENO);
    p->quiet = quiet;
    p->extra[0] = '\0';
}

static void format_eta(char *buf, size_t n, double s)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, n, "--");
    else if (s < 60)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, n, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, n, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

static void print_progress(cli_progress *p, bool final)
{
    double now = cli_now(), elapsed = now - p->start;
    double rate = p->done > p->base ? elapsed / (double)(p->done - p->base) : 0;
    char eta[32];
    format_eta(eta, sizeof eta, final ? elapsed : rate * (p->total - p->done));
    int percent = (int)(100.0 * p->done / p->total);
    if (p->tty) {
        enum { WIDTH = 30 };
        int fill = (int)((double)WIDTH * p->done / p->total);
        char bar[WIDTH + 1];
        for (int i = 0; i < WIDTH; i++)
            bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[WIDTH] = '\0';
        fprintf(stderr, "\r%s |%s| %ld/%ld %s %.2fs/it %s %s\033[K", p->label, bar, p->done,
                p->total, final ? "in" : "eta", rate, eta, p->extra);
        if (final)
            fputc('\n', stderr);
    } else {
        fprintf(stderr, "%s %ld/%ld (%d%%) %s %s %s\n", p->label, p->done, p->total, percent,
                final ? "took" : "eta", eta, p->extra);
    }
    fflush(stderr);
    p->last_print = now;
    p->last_percent = percent;
}

void cli_progress_update(cli_progress *p, long done)
{
    p->done = done;
    if (p->quiet)
        return;
    double now = cli_now();
    int percent = (int)(100.0 * done / p->total);
    if (p->tty ? now - p->last_print > 0.1 : (percent >= p->last_percent + 10 || now - p->last_print > 30))
        print_progress(p, false);
}

void cli_progress_resume(cli_progress *p, long done)
{
    p->base = p->done = done;
    p->start = cli_now();
}

void cli_progress_finish(cli_progress *p)
{
    p->done = p->total;
    if (!p->quiet)
        print_progress(p, true);
}

void cli_preset_path(const char *file, char *buf, size_t size)
{
    const char *env = getenv("DRIFT_PRESETS");
    if (env) {
        snprintf(buf, size, "%s/%s", env, file);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    static const char *const rel[] = {"/presets/", "/../presets/", "/../../presets/", "/../share/drift/presets/"};
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            snprintf(buf, size, "%s%s%s", exe, rel[i], file);
            if (access(buf, R_OK) == 0)
                return;
        }
    }
    snprintf(buf, size, "presets/%s", file);
}
