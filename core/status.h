/* status.h: drift's error convention.
 *
 * Library code never exits or aborts on bad input. A failing function
 * returns a drift_status (or NULL) and leaves a readable, one-line message
 * for the calling thread, which drift_last_error() returns. */
#ifndef DRIFT_STATUS_H
#define DRIFT_STATUS_H

typedef enum drift_status {
    DRIFT_OK = 0,
    DRIFT_ERR_ARG,         /* a bad argument or option value */
    DRIFT_ERR_SHAPE,       /* tensor shapes that do not fit together */
    DRIFT_ERR_NOMEM,       /* an allocation failed */
    DRIFT_ERR_IO,          /* a file could not be opened, read or written */
    DRIFT_ERR_FORMAT,      /* a file's contents are corrupt or unsupported */
    DRIFT_ERR_NUMERIC,     /* NaN or Inf where a finite value is needed */
    DRIFT_ERR_UNSUPPORTED, /* valid, but not something drift can do */
    DRIFT_ERR_DEVICE,      /* no usable audio device or library */
} drift_status;

#if defined(__GNUC__)
#define DRIFT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DRIFT_PRINTF(a, b)
#endif

/* Records a message for this thread and returns s, so that a failing path
 * reads `return drift_fail(DRIFT_ERR_ARG, "steps must be > 0, got %d", n);` */
drift_status drift_fail(drift_status s, const char *fmt, ...) DRIFT_PRINTF(2, 3);

/* The message of this thread's most recent failure ("" if none). */
const char *drift_last_error(void);
void drift_clear_error(void);

/* A short name for a status: "bad argument", "out of memory", ... */
const char *drift_status_name(drift_status s);

#endif
