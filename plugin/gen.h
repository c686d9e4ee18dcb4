/* gen.h: the instrument's worker side: loading a sound model and
 * generating one-shots from it. Everything here allocates, reads files and
 * runs diffusion, so it is only ever called from the LV2 worker (or from
 * state restore), never from run().
 *
 * Regions: every vocabulary tag of the model that is a note name
 * ("C4", "F#2", "Bb3"; octave -1..9, C4 = MIDI 60) is a pitch tag and
 * gives a region at its note; a model without pitch tags has one region at
 * its base note (drift_sound_params.base_note).
 *
 * Sound presets (the instrument's "sound" control): a class-conditional
 * model's classes; else a tag model's tags that are not pitch tags, each
 * one a prompt; else none (unconditional). The index wraps around. */
#ifndef DRIFT_PLUGIN_GEN_H
#define DRIFT_PLUGIN_GEN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cache.h"
#include "drift.h"
#include "sound.h"

typedef struct drift_gen_model {
    drift_model *model;
    drift_sound_engine *engine;
    drift_sound_params params;
    int n_regions;
    int region_note[DRIFT_CACHE_MAX_REGIONS]; /* ascending */
    const char *region_tag[DRIFT_CACHE_MAX_REGIONS]; /* pitch tag word, or NULL */
    int n_presets;
    const char **preset; /* class names or tag words (the model's strings) */
    bool presets_are_classes;
    pthread_mutex_t lock; /* one generation at a time per model */
    atomic_int refs;      /* the instrument's and each queued request's */
    char path[4096];
} drift_gen_model;

/* Generation settings that the instrument's controls give. */
typedef struct drift_gen_settings {
    int preset;
    uint32_t seed;
    int steps;
    float guidance;
} drift_gen_settings;

/* Loads a sound model from path (holding one reference). Fails with a
 * message naming the file when it is not a drift sound model. */
drift_status drift_gen_load(const char *path, drift_gen_model **out);
void drift_gen_free(drift_gen_model *g);

/* Reference counting (atomic, so real-time safe): unref returns true when
 * it dropped the last reference; the caller then frees the model (off the
 * audio thread). */
void drift_gen_ref(drift_gen_model *g);
bool drift_gen_unref(drift_gen_model *g);

/* MIDI note of a note name ("C4" = 60, "A#3", "Eb2"), or -1. */
int drift_gen_note_of_name(const char *word);

/* Generates the sound of (region, variant) under the settings as a mono
 * one-shot at `rate` Hz, labelled with epoch; *out is malloc'd (free with
 * drift_gen_free_sound). The noise seed is a pure function of
 * (settings seed, region, variant). */
drift_status drift_gen_sound(drift_gen_model *g, const drift_gen_settings *s, int region, int variant,
                             uint32_t epoch, double rate, drift_psound **out);
void drift_gen_free_sound(drift_psound *s);

#endif
