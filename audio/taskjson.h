/* taskjson.h: optional number fields of a model's task JSON (the audio
 * front ends' parameters travel in it; see core/model.h, task_json). */
#ifndef DRIFT_AUDIO_TASKJSON_H
#define DRIFT_AUDIO_TASKJSON_H

#include "drift.h"

#include <cjson/cJSON.h>

/* Reads o[key] into *v; an absent key leaves *v as it is. A value that is
 * not a finite number (or, for ints, not a whole number within 1e9) fails
 * with DRIFT_ERR_FORMAT and a message "TASK task field 'KEY' ...". */
drift_status drift_task_json_int(const cJSON *o, const char *task, const char *key, int *v);
drift_status drift_task_json_float(const cJSON *o, const char *task, const char *key, float *v);

#endif
