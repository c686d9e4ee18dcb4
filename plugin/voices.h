/* voices.h: the instrument's polyphonic one-shot player (audio thread).
 *
 * Each voice plays a cached sound (cache.h) resampled to its note's pitch
 * by 4-point cubic (Catmull-Rom) interpolation, at a level proportional to
 * the note's velocity (velocity / 127, linear in amplitude). Note-off
 * starts a linear release ramp of the instrument's release time (never
 * shorter than DRIFT_VOICE_MIN_RELEASE seconds). At most DRIFT_POLYPHONY
 * notes sound at once: a new note beyond that steals the oldest sounding
 * voice, which fades out over DRIFT_VOICE_STEAL_FADE seconds in one of the
 * spare voices instead of stopping dead, so nothing clicks. */
#ifndef DRIFT_PLUGIN_VOICES_H
#define DRIFT_PLUGIN_VOICES_H

#include <stdbool.h>
#include <stdint.h>

#include "cache.h"

#define DRIFT_POLYPHONY 16
#define DRIFT_VOICES_MAX (DRIFT_POLYPHONY + 8)
#define DRIFT_VOICE_STEAL_FADE 0.004
#define DRIFT_VOICE_MIN_RELEASE 0.005

typedef struct drift_voice {
    drift_psound *sound; /* NULL: idle */
    double pos, step;    /* read position and increment in the sound's samples */
    float level;         /* velocity level */
    float env;           /* envelope gain in [0, 1] */
    float env_step;      /* decrement per frame; 0 while held */
    int note;
    bool held, stolen;
    uint64_t age;        /* note-on order */
} drift_voice;

typedef struct drift_voices {
    drift_voice v[DRIFT_VOICES_MAX];
    uint64_t clock;
    double rate; /* host sample rate */
} drift_voices;

void drift_voices_init(drift_voices *vs, double rate);

/* Starts `note` at `velocity` (1..127) playing s (whose users count the
 * caller already raised). Steals a voice when needed. */
void drift_voices_note_on(drift_voices *vs, drift_cache *c, drift_psound *s, int note, int velocity);

/* Releases every held voice of `note` over `release` seconds. */
void drift_voices_note_off(drift_voices *vs, int note, double release);
void drift_voices_all_off(drift_voices *vs, double release);

/* Stops every voice at once, handing their sounds back (deactivate). */
void drift_voices_reset(drift_voices *vs, drift_cache *c);

/* Adds the voices into out (frames), times gain[i] per frame; voices that
 * end hand their sounds back to the cache. */
void drift_voices_render(drift_voices *vs, drift_cache *c, const float *gain, float *out, uint32_t frames);

int drift_voices_active(const drift_voices *vs);

#endif
