/* cli.h: what drift's subcommands share: the command table, failure
 * messages, a progress bar, and number parsing with clear errors.
 *
 * Conventions (see the README): every command that writes a file takes
 * -o PATH; one-input/one-output commands also take IN OUT positionally;
 * --model, --seed, --steps, --sampler, --guidance, --threads and --quiet
 * mean the same everywhere. Results and paths go to stdout, progress and
 * messages to stderr. */
#ifndef DRIFT_CLI_H
#define DRIFT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drift.h"

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command's name */
} cli_command;

/* Prints "drift NAME: message" to stderr; returns the exit code 1. */
int cli_error(const char *cmd, const char *fmt, ...) DRIFT_PRINTF(2, 3);
/* The same with drift_last_error() appended. */
int cli_fail_status(const char *cmd, const char *what);

/* Where the shipped model `file` (e.g. "drums.safetensors") is: in
 * $DRIFT_PRESETS when set; else in presets/ beside the drift binary or
 * one or two folders above it (a build folder of the source tree), or in
 * share/drift/presets of its install prefix, whichever exists first; else
 * presets/file in the working folder. */
void cli_preset_path(const char *file, char *buf, size_t size);

/* Strict parsing: the whole string must be a number in [lo, hi]. */
bool cli_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
bool cli_parse_float(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out);
bool cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);

/* Progress on stderr: a bar on a terminal, a plain line every few
 * percent otherwise, nothing when quiet. */
typedef struct cli_progress {
    const char *label;
    long total, done;
    long base; /* items already done before this run (a resumed run) */
    double start, last_print;
    int last_percent;
    bool tty, quiet;
    char extra[96]; /* e.g. "loss 0.0312" */
} cli_progress;

void cli_progress_start(cli_progress *p, const char *label, long total, bool quiet);
void cli_progress_update(cli_progress *p, long done);
void cli_progress_finish(cli_progress *p);
/* A resumed run: `done` items were finished earlier (not timed now). */
void cli_progress_resume(cli_progress *p, long done);

double cli_now(void); /* seconds, monotonic */

#endif
