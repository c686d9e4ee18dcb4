/* status.c: per-thread error messages (see status.h). */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[512];

drift_status drift_fail(drift_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return s;
}

const char *drift_last_error(void) { return last_message; }

void drift_clear_error(void) { last_message[0] = '\0'; }

const char *drift_status_name(drift_status s)
{
    switch (s) {
    case DRIFT_OK: return "ok";
    case DRIFT_ERR_ARG: return "bad argument";
    case DRIFT_ERR_SHAPE: return "shape mismatch";
    case DRIFT_ERR_NOMEM: return "out of memory";
    case DRIFT_ERR_IO: return "input/output error";
    case DRIFT_ERR_FORMAT: return "bad file format";
    case DRIFT_ERR_NUMERIC: return "numerical error";
    case DRIFT_ERR_UNSUPPORTED: return "unsupported";
    case DRIFT_ERR_DEVICE: return "device error";
    }
    return "unknown error";
}
