/* cache.h: the instrument's cache of generated one-shots, on the audio
 * thread's side.
 *
 * A model's pitch range is split into regions: one per pitch tag of the
 * model (a note name in its vocabulary), or a single region at the model's
 * base note. A sound is identified by (settings epoch, region, variant):
 * the epoch changes whenever the model or a generation setting changes;
 * variant k is the k-th note played in that region when "variation" is on
 * (always 0 when it is off).
 *
 * Policy: the cache has DRIFT_CACHE_SLOTS slots. It asks for the sounds the
 * next notes will need, regions nearest the last played note first (the
 * middle of the model's range before any note), DRIFT_CACHE_AHEAD variants
 * deep per region with variation on and one without. A slot whose sound
 * is no longer wanted (older settings, or a variant already played) is
 * reused; its old sound stays playable as a fallback until then.
 *
 * Handoff: the worker stores a finished sound into a slot's `incoming`
 * pointer with an atomic exchange; the audio thread takes it with another
 * (drift_cache_poll). Everything else here belongs to the audio thread
 * alone and never allocates, locks or blocks. Sounds that nobody plays any
 * more go to a retired list that the instrument hands to the worker to
 * free. */
#ifndef DRIFT_PLUGIN_CACHE_H
#define DRIFT_PLUGIN_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DRIFT_CACHE_SLOTS 32
#define DRIFT_CACHE_MAX_REGIONS 128
#define DRIFT_CACHE_AHEAD 2
#define DRIFT_CACHE_MAX_RETIRED 256

/* A generated one-shot, mono, at the host's sample rate. */
typedef struct drift_psound {
    float *data;
    size_t frames;
    float note;     /* MIDI note it sounds at when played at its own speed */
    uint32_t epoch;
    int region, variant;
    int users;      /* voices playing it (audio thread only) */
    bool orphan;    /* no longer in a slot: retire when users reaches 0 */
} drift_psound;

typedef struct drift_cache_slot {
    drift_psound *sound; /* installed sound, or NULL */
    uint32_t epoch;      /* key held or being generated */
    int region, variant;
    bool pending;        /* a request for the key is with the worker */
    _Atomic(drift_psound *) incoming;
} drift_cache_slot;

typedef struct drift_cache {
    drift_cache_slot slot[DRIFT_CACHE_SLOTS];
    drift_psound *retired[DRIFT_CACHE_MAX_RETIRED];
    int n_retired;
    uint32_t epoch;
    uint32_t failed_epoch; /* generation failed for these settings: stop asking */
    int n_regions;
    int region_note[DRIFT_CACHE_MAX_REGIONS]; /* ascending MIDI notes */
    int next_variant[DRIFT_CACHE_MAX_REGIONS];
    int focus;             /* region of the last played note */
    bool variation;
} drift_cache;

void drift_cache_init(drift_cache *c);

/* New regions (a new model): notes ascending, n in [0, MAX_REGIONS]. Starts
 * a new epoch. */
void drift_cache_set_regions(drift_cache *c, int n, const int *notes);

/* New generation settings: starts a new epoch, variants count from 0. */
void drift_cache_new_epoch(drift_cache *c, bool variation);

/* The region whose note is nearest to `note` (-1 without regions). */
int drift_cache_region_of(const drift_cache *c, int note);

/* Takes finished sounds from the worker into their slots. Returns how many
 * requests completed. */
int drift_cache_poll(drift_cache *c);

/* The variant the next note in `region` gets. */
int drift_cache_variant_for(const drift_cache *c, int region);

/* Is the sound for (current epoch, region, variant) installed? */
bool drift_cache_ready(const drift_cache *c, int region, int variant);

/* For a note-on: the exact sound of the note's region and next variant if
 * ready (then the region's variant advances), else the ready sound of the
 * current epoch nearest in pitch, else (allow_stale) the nearest of older
 * settings, else NULL. The result's users count is raised: hand it back
 * with drift_cache_release. *exact tells which case it was. */
drift_psound *drift_cache_take(drift_cache *c, int note, bool allow_stale, bool *exact);
void drift_cache_release(drift_cache *c, drift_psound *s);

/* Reserves a slot for (current epoch, region, variant) and marks it
 * pending; -1 if every slot is pending or holds a wanted sound. */
int drift_cache_reserve(drift_cache *c, int region, int variant);

/* The slot whose request for (current epoch, region, variant) is with the
 * worker, else a newly reserved one; -1 if no slot is free. */
int drift_cache_slot_for(drift_cache *c, int region, int variant);

/* The most wanted missing sound, reserved: returns its slot and key, or
 * -1 when nothing is missing or no slot is free. */
int drift_cache_next_wanted(drift_cache *c, int *region, int *variant);

/* The request in `slot` ended without a sound: the worker failed (then
 * the cache stops asking for these settings) or it was never handed over. */
void drift_cache_request_cancel(drift_cache *c, int slot, bool failed);

/* Number of installed sounds of the current epoch. */
int drift_cache_count_ready(const drift_cache *c);

/* Retired sounds, for the instrument to hand to the worker. pop returns
 * NULL when empty; push_back returns one that could not be handed over. */
drift_psound *drift_cache_pop_retired(drift_cache *c);
void drift_cache_push_retired(drift_cache *c, drift_psound *s);

#endif
