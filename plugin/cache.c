/* cache.c: the instrument's cache of generated one-shots (see cache.h).
 * Audio thread only, except the atomic `incoming` handoff. */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

void drift_cache_init(drift_cache *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < DRIFT_CACHE_SLOTS; i++)
        atomic_init(&c->slot[i].incoming, NULL);
    c->failed_epoch = UINT32_MAX;
}

void drift_cache_push_retired(drift_cache *c, drift_psound *s)
{
    /* The list outnumbers every sound that can be alive at once (slots,
     * voices and requests), so it cannot overflow while the instrument
     * drains it every cycle. */
    if (c->n_retired < DRIFT_CACHE_MAX_RETIRED)
        c->retired[c->n_retired++] = s;
}

drift_psound *drift_cache_pop_retired(drift_cache *c)
{
    return c->n_retired ? c->retired[--c->n_retired] : NULL;
}

/* A sound leaves its slot: retired now, or when its last voice ends. */
static void drop(drift_cache *c, drift_psound *s)
{
    if (!s)
        return;
    s->orphan = true;
    if (s->users == 0)
        drift_cache_push_retired(c, s);
}

void drift_cache_release(drift_cache *c, drift_psound *s)
{
    if (--s->users == 0 && s->orphan)
        drift_cache_push_retired(c, s);
}

void drift_cache_new_epoch(drift_cache *c, bool variation)
{
    c->epoch++;
    c->variation = variation;
    memset(c->next_variant, 0, sizeof c->next_variant);
}

void drift_cache_set_regions(drift_cache *c, int n, const int *notes)
{
    c->n_regions = n < 0 ? 0 : n > DRIFT_CACHE_MAX_REGIONS ? DRIFT_CACHE_MAX_REGIONS : n;
    for (int i = 0; i < c->n_regions; i++)
        c->region_note[i] = notes[i];
    c->focus = c->n_regions / 2;
    drift_cache_new_epoch(c, c->variation);
}

int drift_cache_region_of(const drift_cache *c, int note)
{
    int best = -1, best_d = 0;
    for (int r = 0; r < c->n_regions; r++) {
        int d = abs(c->region_note[r] - note);
        if (best < 0 || d < best_d)
            best = r, best_d = d;
    }
    return best;
}

int drift_cache_poll(drift_cache *c)
{
    int done = 0;
    for (int i = 0; i < DRIFT_CACHE_SLOTS; i++) {
        drift_cache_slot *sl = &c->slot[i];
        if (!atomic_load_explicit(&sl->incoming, memory_order_relaxed))
            continue;
        drift_psound *s = atomic_exchange_explicit(&sl->incoming, NULL, memory_order_acquire);
        if (!s)
            continue;
        drop(c, sl->sound);
        sl->sound = s;
        sl->epoch = s->epoch;
        sl->region = s->region;
        sl->variant = s->variant;
        sl->pending = false;
        done++;
    }
    return done;
}

int drift_cache_variant_for(const drift_cache *c, int region)
{
    return c->variation && region >= 0 ? c->next_variant[region] : 0;
}

static bool holds(const drift_cache_slot *sl, uint32_t epoch, int region, int variant)
{
    return sl->epoch == epoch && sl->region == region && sl->variant == variant;
}

/* The slot's installed sound, if it is (epoch, region, variant). While a
 * slot is pending its key is the requested one, not its old sound's. */
static drift_psound *sound_is(const drift_cache_slot *sl, uint32_t epoch, int region, int variant)
{
    drift_psound *s = sl->sound;
    return s && s->epoch == epoch && s->region == region && s->variant == variant ? s : NULL;
}

bool drift_cache_ready(const drift_cache *c, int region, int variant)
{
    for (int i = 0; i < DRIFT_CACHE_SLOTS; i++)
        if (sound_is(&c->slot[i], c->epoch, region, variant))
            return true;
    return false;
}

/* Is a slot's key one the next notes need? */
static bool wanted(const drift_cache *c, const drift_cache_slot *sl)
{
    if (sl->epoch != c->epoch || sl->region < 0 || sl->region >= c->n_regions)
        return false;
    int first = drift_cache_variant_for(c, sl->region);
    int depth = c->variation ? DRIFT_CACHE_AHEAD : 1;
    return sl->variant >= first && sl->variant < first + depth;
}

/* The installed sound nearest in pitch to note (current epoch only, or any). */
static drift_psound *nearest(const drift_cache *c, int note, bool any_epoch)
{
    drift_psound *best = NULL;
    float best_d = 0;
    for (int i = 0; i < DRIFT_CACHE_SLOTS; i++) {
        drift_psound *s = c->slot[i].sound;
        if (!s || (!any_epoch && s->epoch != c->epoch))
            continue;
        float d = s->note > note ? s->note - note : note - s->note;
        if (!best || d < best_d)
            best = s, best_d = d;
    }
    return best;
}

drift_psound *drift_cache_take(drift_cache *c, int note, bool allow_stale, bool *exact)
{
    int r = drift_cache_region_of(c, note);
    *exact = false;
    if (r < 0)
        return NULL;
    c->focus = r;
    int v = drift_cache_variant_for(c, r);
    drift_psound *s = NULL;
    for (int i = 0; i < DRIFT_CACHE_SLOTS && !s; i++)
        s = sound_is(&c->slot[i], c->epoch, r, v);
    if (s) {
        *exact = true;
        if (c->variation)
            c->next_variant[r]++;
    } else {
        s = nearest(c, note, false);
        if (!s && allow_stale)
            s = nearest(c, note, true);
    }
    if (s)
        s->users++;
    return s;
}

/* Badness of reusing a slot (lower is better); -1 if it must be kept. */
static int victim_cost(const drift_cache *c, const drift_cache_slot *sl)
{
    if (sl->pending || (sl->sound && wanted(c, sl)))
        return -1;
    if (!sl->sound)
        return 0;
    if (sl->epoch != c->epoch)
        return 1;
    return 2 + DRIFT_CACHE_MAX_REGIONS - abs(sl->region - c->focus);
}

int drift_cache_reserve(drift_cache *c, int region, int variant)
{
    int best = -1, best_cost = 0;
    for (int i = 0; i < DRIFT_CACHE_SLOTS; i++) {
        int cost = victim_cost(c, &c->slot[i]);
        if (cost >= 0 && (best < 0 || cost < best_cost))
            best = i, best_cost = cost;
    }
    if (best >= 0) {
        drift_cache_slot *sl = &c->slot[best];
        sl->epoch = c->epoch;
        sl->region = region;
        sl->variant = variant;
        sl->pending = true;
    }
    return best;
}

int drift_cache_slot_for(drift_cache *c, int region, int variant)
{
    for (int i = 0; i < DRIFT_CACHE_SLOTS; i++)
        if (c->slot[i].pending && holds(&c->slot[i], c->epoch, region, variant))
            return i;
    return drift_cache_reserve(c, region, variant);
}

/* Is (region, variant) of the current epoch missing (neither held nor asked for)? */
static bool missing(const drift_cache *c, int region, int variant)
{
    for (int i = 0; i < DRIFT_CACHE_SLOTS; i++) {
        const drift_cache_slot *sl = &c->slot[i];
        if ((sl->pending && holds(sl, c->epoch, region, variant)) || sound_is(sl, c->epoch, region, variant))
            return false;
    }
    return true;
}

int drift_cache_next_wanted(drift_cache *c, int *region, int *variant)
{
    if (c->failed_epoch == c->epoch)
        return -1;
    int depth = c->variation ? DRIFT_CACHE_AHEAD : 1;
    for (int d = 0; d < c->n_regions; d++)
        for (int side = 0; side < (d ? 2 : 1); side++) {
            int r = side ? c->focus + d : c->focus - d;
            if (r < 0 || r >= c->n_regions)
                continue;
            for (int k = 0; k < depth; k++) {
                int v = drift_cache_variant_for(c, r) + k;
                if (!missing(c, r, v))
                    continue;
                int slot = drift_cache_reserve(c, r, v);
                if (slot >= 0) {
                    *region = r;
                    *variant = v;
                }
                return slot;
            }
        }
    return -1;
}

void drift_cache_request_cancel(drift_cache *c, int slot, bool failed)
{
    if (slot < 0 || slot >= DRIFT_CACHE_SLOTS)
        return;
    drift_cache_slot *sl = &c->slot[slot];
    if (failed && sl->pending && sl->epoch == c->epoch)
        c->failed_epoch = c->epoch;
    sl->pending = false;
    if (sl->sound) { /* the slot keeps its old sound under its own key */
        sl->epoch = sl->sound->epoch;
        sl->region = sl->sound->region;
        sl->variant = sl->sound->variant;
    }
}

int drift_cache_count_ready(const drift_cache *c)
{
    int n = 0;
    for (int i = 0; i < DRIFT_CACHE_SLOTS; i++)
        n += c->slot[i].sound && c->slot[i].sound->epoch == c->epoch;
    return n;
}
