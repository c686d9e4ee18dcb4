/* json.h: the few JSON helpers drift's file formats share (safetensors
 * headers, model configurations), over cJSON. Internal to core/. */
#ifndef DRIFT_JSON_H
#define DRIFT_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Parses text[0..len) as one JSON value followed only by whitespace. On
 * failure the message names `what` and the byte where parsing stopped. */
drift_status drift_json_parse(const char *text, size_t len, const char *what, cJSON **out);

/* True if item is a number holding an integer in [0, 2^53]. */
bool drift_json_uint(const cJSON *item, uint64_t *value);

/* The first key that appears more than once in an object (cJSON keeps
 * repeated keys), or NULL. *nomem is set if the check ran out of memory. */
const char *drift_json_duplicate_key(const cJSON *object, bool *nomem);

#endif
