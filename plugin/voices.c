/* voices.c: the instrument's polyphonic one-shot player (see voices.h). */
#include "voices.h"

#include <math.h>
#include <string.h>

void drift_voices_init(drift_voices *vs, double rate)
{
    memset(vs, 0, sizeof *vs);
    vs->rate = rate;
}

static void stop(drift_voice *v, drift_cache *c)
{
    if (v->sound)
        drift_cache_release(c, v->sound);
    v->sound = NULL;
}

static void start_release(drift_voice *v, double seconds, double rate)
{
    if (seconds < DRIFT_VOICE_MIN_RELEASE)
        seconds = DRIFT_VOICE_MIN_RELEASE;
    float step = (float)(1.0 / (seconds * rate));
    if (v->env_step < step) /* never slow down a faster fade already running */
        v->env_step = step;
    v->held = false;
}

/* The oldest voice matching: sounding (not stolen) ones, or any busy one. */
static drift_voice *oldest(drift_voices *vs, bool sounding_only)
{
    drift_voice *best = NULL;
    for (int i = 0; i < DRIFT_VOICES_MAX; i++) {
        drift_voice *v = &vs->v[i];
        if (!v->sound || (sounding_only && v->stolen))
            continue;
        if (!best || v->age < best->age)
            best = v;
    }
    return best;
}

static int sounding(const drift_voices *vs)
{
    int n = 0;
    for (int i = 0; i < DRIFT_VOICES_MAX; i++)
        n += vs->v[i].sound && !vs->v[i].stolen;
    return n;
}

static drift_voice *free_voice(drift_voices *vs, drift_cache *c)
{
    if (sounding(vs) >= DRIFT_POLYPHONY) {
        drift_voice *victim = oldest(vs, true);
        victim->stolen = true;
        start_release(victim, DRIFT_VOICE_STEAL_FADE, vs->rate);
    }
    for (int i = 0; i < DRIFT_VOICES_MAX; i++)
        if (!vs->v[i].sound)
            return &vs->v[i];
    /* Every spare voice is still fading: cut the oldest fade, which is
     * already down to a few milliseconds of its tail. */
    drift_voice *v = oldest(vs, false);
    stop(v, c);
    return v;
}

void drift_voices_note_on(drift_voices *vs, drift_cache *c, drift_psound *s, int note, int velocity)
{
    drift_voice *v = free_voice(vs, c);
    memset(v, 0, sizeof *v);
    v->sound = s;
    v->step = pow(2.0, (note - s->note) / 12.0);
    v->level = (float)velocity / 127.0f;
    v->env = 1.0f;
    v->note = note;
    v->held = true;
    v->age = ++vs->clock;
}

void drift_voices_note_off(drift_voices *vs, int note, double release)
{
    for (int i = 0; i < DRIFT_VOICES_MAX; i++) {
        drift_voice *v = &vs->v[i];
        if (v->sound && v->held && v->note == note)
            start_release(v, release, vs->rate);
    }
}

void drift_voices_all_off(drift_voices *vs, double release)
{
    for (int i = 0; i < DRIFT_VOICES_MAX; i++)
        if (vs->v[i].sound)
            start_release(&vs->v[i], release, vs->rate);
}

void drift_voices_reset(drift_voices *vs, drift_cache *c)
{
    for (int i = 0; i < DRIFT_VOICES_MAX; i++)
        stop(&vs->v[i], c);
}

/* Sample i of the sound, 0 outside it. */
static inline float at(const drift_psound *s, long i)
{
    return i >= 0 && (size_t)i < s->frames ? s->data[i] : 0.0f;
}

/* Catmull-Rom interpolation between a1 and a2 at fraction t. */
static inline float cubic(float a0, float a1, float a2, float a3, float t)
{
    float c1 = 0.5f * (a2 - a0);
    float c2 = a0 - 2.5f * a1 + 2.0f * a2 - 0.5f * a3;
    float c3 = 0.5f * (a3 - a0) + 1.5f * (a1 - a2);
    return ((c3 * t + c2) * t + c1) * t + a1;
}

/* Renders one voice into out; returns false when it has ended. */
static bool render_voice(drift_voice *v, const float *gain, float *out, uint32_t frames)
{
    const drift_psound *s = v->sound;
    for (uint32_t i = 0; i < frames; i++) {
        long k = (long)v->pos;
        if ((size_t)k >= s->frames || v->env <= 0.0f)
            return false;
        float t = (float)(v->pos - (double)k);
        float x = cubic(at(s, k - 1), s->data[k], at(s, k + 1), at(s, k + 2), t);
        out[i] += x * v->level * v->env * gain[i];
        v->pos += v->step;
        v->env -= v->env_step;
    }
    return true;
}

void drift_voices_render(drift_voices *vs, drift_cache *c, const float *gain, float *out, uint32_t frames)
{
    for (int i = 0; i < DRIFT_VOICES_MAX; i++) {
        drift_voice *v = &vs->v[i];
        if (v->sound && !render_voice(v, gain, out, frames))
            stop(v, c);
    }
}

int drift_voices_active(const drift_voices *vs)
{
    int n = 0;
    for (int i = 0; i < DRIFT_VOICES_MAX; i++)
        n += vs->v[i].sound != NULL;
    return n;
}
