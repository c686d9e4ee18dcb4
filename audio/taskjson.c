/* taskjson.c: optional number fields of a model's task JSON (see taskjson.h). */
#include "taskjson.h"

#include <math.h>

static drift_status number(const cJSON *o, const char *task, const char *key, double *v)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it)
        return DRIFT_OK;
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return drift_fail(DRIFT_ERR_FORMAT, "%s task field '%s' must be a number", task, key);
    *v = it->valuedouble;
    return DRIFT_OK;
}

drift_status drift_task_json_int(const cJSON *o, const char *task, const char *key, int *v)
{
    double d = *v;
    drift_status s = number(o, task, key, &d);
    if (s == DRIFT_OK && (d != floor(d) || fabs(d) > 1e9))
        return drift_fail(DRIFT_ERR_FORMAT, "%s task field '%s' must be a whole number, got %g", task, key, d);
    *v = (int)d;
    return s;
}

drift_status drift_task_json_float(const cJSON *o, const char *task, const char *key, float *v)
{
    double d = *v;
    drift_status s = number(o, task, key, &d);
    *v = (float)d;
    return s;
}
