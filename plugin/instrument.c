/* instrument.c: drift's LV2 instrument (see instrument.h): the plugin's
 * run(), its worker (model loading, generation, freeing) and its state. */
#include "instrument.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2_util.h>
#include <lv2/log/logger.h>
#include <lv2/midi/midi.h>
#include <lv2/state/state.h>
#include <lv2/worker/worker.h>

#include "cache.h"
#include "gen.h"
#include "uris.h"
#include "voices.h"

enum {
    P_CONTROL, P_NOTIFY, P_OUT_L, P_OUT_R, P_SOUND, P_SEED, P_VARIATION, P_STEPS,
    P_GUIDANCE, P_GAIN, P_RELEASE, P_FREEWHEEL, P_READY, P_STATUS, P_COUNT
};

enum { ST_NONE, ST_LOADING, ST_READY, ST_ERROR };

/* Worker messages (copied by the host) and responses. */
typedef enum { W_LOAD, W_GENERATE, W_FREE_SOUND, W_FREE_MODEL } work_kind;

typedef struct {
    work_kind kind;
    char path[4096];
} load_msg;

typedef struct {
    work_kind kind;
    drift_gen_model *model; /* holds a reference for this request */
    drift_gen_settings settings;
    int slot, region, variant;
    uint32_t epoch;
} gen_msg;

typedef struct {
    work_kind kind;
    void *ptr;
} free_msg;

typedef struct {
    work_kind kind;
    drift_gen_model *model; /* W_LOAD: the new model or NULL; */
    int slot, ok;           /* W_GENERATE */
} work_reply;

typedef struct instrument {
    LV2_URID_Map *map;
    LV2_Worker_Schedule *schedule;
    LV2_Log_Logger logger;
    LV2_Atom_Forge forge;
    drift_plugin_uris uris;
    bool live;
    double rate;

    const LV2_Atom_Sequence *control;
    LV2_Atom_Sequence *notify;
    float *out[2];
    const float *in_ctl[P_COUNT];
    float *ready_port, *status_port;

    /* audio thread */
    drift_gen_model *model;
    drift_gen_model *dead_model; /* unreferenced, waiting to go to the worker */
    drift_gen_settings settings;
    bool variation;
    int status;
    int in_flight;
    bool send_path;
    float gain;
    drift_cache cache;
    drift_voices voices;
    uint64_t scratch[1024];             /* an aligned copy of one patch message */
    uint64_t notify_buf[16384 / 8];     /* the notify sequence, before its copy out */
} instrument;

static float ctl(const instrument *s, int port, float fallback)
{
    return s->in_ctl[port] ? *s->in_ctl[port] : fallback;
}

static bool offline(const instrument *s)
{
    return !s->live || ctl(s, P_FREEWHEEL, 0) > 0.5f;
}

/* ---- worker side -------------------------------------------------------- */

static void release_model(drift_gen_model *g)
{
    if (g && drift_gen_unref(g))
        drift_gen_free(g);
}

static void work_load(instrument *s, const load_msg *m, LV2_Worker_Respond_Function respond,
                      LV2_Worker_Respond_Handle h)
{
    work_reply r = {W_LOAD, NULL, 0, 0};
    if (drift_gen_load(m->path, &r.model) != DRIFT_OK)
        lv2_log_error(&s->logger, "drift: cannot load model: %s\n", drift_last_error());
    if (respond(h, sizeof r, &r) != LV2_WORKER_SUCCESS)
        release_model(r.model);
}

static void work_generate(instrument *s, const gen_msg *m, LV2_Worker_Respond_Function respond,
                          LV2_Worker_Respond_Handle h)
{
    drift_psound *snd = NULL;
    work_reply r = {W_GENERATE, NULL, m->slot, 0};
    if (drift_gen_sound(m->model, &m->settings, m->region, m->variant, m->epoch, s->rate, &snd) == DRIFT_OK) {
        /* Anything still in the mailbox was never taken: ours to free. */
        drift_gen_free_sound(atomic_exchange_explicit(&s->cache.slot[m->slot].incoming, snd, memory_order_acq_rel));
        r.ok = 1;
    } else {
        lv2_log_error(&s->logger, "drift: generation failed: %s\n", drift_last_error());
    }
    release_model(m->model);
    respond(h, sizeof r, &r);
}

/* Hosts copy messages into buffers of their own with no alignment
 * promise: each handler copies its message into an aligned local first. */
static LV2_Worker_Status work(LV2_Handle handle, LV2_Worker_Respond_Function respond, LV2_Worker_Respond_Handle h,
                              uint32_t size, const void *data)
{
    instrument *s = handle;
    work_kind kind;
    if (size < sizeof kind)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&kind, data, sizeof kind);
    if (kind == W_LOAD && size == sizeof(load_msg)) {
        load_msg *m = malloc(sizeof *m); /* 4 KB: not on the worker's stack */
        if (!m)
            return LV2_WORKER_ERR_UNKNOWN;
        memcpy(m, data, sizeof *m);
        work_load(s, m, respond, h);
        free(m);
    } else if (kind == W_GENERATE && size == sizeof(gen_msg)) {
        gen_msg m;
        memcpy(&m, data, sizeof m);
        work_generate(s, &m, respond, h);
    } else if ((kind == W_FREE_SOUND || kind == W_FREE_MODEL) && size == sizeof(free_msg)) {
        free_msg m;
        memcpy(&m, data, sizeof m);
        if (kind == W_FREE_SOUND)
            drift_gen_free_sound(m.ptr);
        else
            drift_gen_free(m.ptr);
    } else {
        return LV2_WORKER_ERR_UNKNOWN;
    }
    return LV2_WORKER_SUCCESS;
}

/* ---- audio thread: requests and replies ------------------------------ */

static bool post_free(instrument *s, work_kind kind, void *ptr)
{
    free_msg m = {kind, ptr};
    return s->schedule->schedule_work(s->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS;
}

static void flush_retired(instrument *s)
{
    if (s->dead_model && post_free(s, W_FREE_MODEL, s->dead_model))
        s->dead_model = NULL;
    drift_psound *snd;
    while ((snd = drift_cache_pop_retired(&s->cache))) {
        if (!post_free(s, W_FREE_SOUND, snd)) {
            drift_cache_push_retired(&s->cache, snd); /* try again next cycle */
            return;
        }
    }
}

/* Asks the worker for (region, variant) into a reserved slot. */
static bool post_generate(instrument *s, int slot, int region, int variant)
{
    gen_msg m = {W_GENERATE, s->model, s->settings, slot, region, variant, s->cache.epoch};
    drift_gen_ref(s->model);
    if (s->schedule->schedule_work(s->schedule->handle, sizeof m, &m) != LV2_WORKER_SUCCESS) {
        drift_gen_unref(s->model); /* cannot be the last: we hold one */
        drift_cache_request_cancel(&s->cache, slot, false);
        return false;
    }
    s->in_flight++;
    return true;
}

/* Generation ahead: one request at a time, so new settings act quickly. */
static void prefetch(instrument *s)
{
    if (!s->model || s->in_flight > 0)
        return;
    int region, variant;
    int slot = drift_cache_next_wanted(&s->cache, &region, &variant);
    if (slot >= 0)
        post_generate(s, slot, region, variant);
}

static void install_model(instrument *s, drift_gen_model *g)
{
    drift_gen_model *old = s->model;
    s->model = g;
    drift_cache_set_regions(&s->cache, g->n_regions, g->region_note);
    s->status = ST_READY;
    s->send_path = true;
    if (old && drift_gen_unref(old))
        s->dead_model = old; /* freed by a later work item (flush_retired) */
}

static LV2_Worker_Status work_response(LV2_Handle handle, uint32_t size, const void *data)
{
    instrument *s = handle;
    work_reply reply, *r = &reply;
    if (size != sizeof reply)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&reply, data, sizeof reply);
    if (r->kind == W_LOAD) {
        if (r->model)
            install_model(s, r->model);
        else
            s->status = ST_ERROR;
    } else if (r->kind == W_GENERATE) {
        s->in_flight--;
        drift_cache_poll(&s->cache);
        if (!r->ok)
            drift_cache_request_cancel(&s->cache, r->slot, true);
    }
    return LV2_WORKER_SUCCESS;
}

/* ---- audio thread: events -------------------------------------------- */

static void read_settings(instrument *s)
{
    drift_gen_settings n = {
        .preset = (int)lrintf(fmaxf(ctl(s, P_SOUND, 0), 0)),
        .seed = (uint32_t)lrintf(fmaxf(ctl(s, P_SEED, 0), 0)),
        .steps = (int)lrintf(fminf(fmaxf(ctl(s, P_STEPS, 20), 1), 200)),
        .guidance = ctl(s, P_GUIDANCE, 2),
    };
    bool variation = ctl(s, P_VARIATION, 0) > 0.5f;
    if (memcmp(&n, &s->settings, sizeof n) != 0 || variation != s->variation) {
        s->settings = n;
        s->variation = variation;
        drift_cache_new_epoch(&s->cache, variation);
    }
}

/* Offline (an export, or freewheeling) every note gets exactly its own
 * sound, so an export is the same whatever the worker was doing: a missing
 * sound is generated here, blocking, even when the worker already has it
 * queued. Both deliveries go through the slot's mailbox; whichever comes
 * second replaces the first (they are equal), and the mailbox exchange
 * frees the copy that was never installed. */
static void render_now(instrument *s, int region, int variant)
{
    int slot = drift_cache_slot_for(&s->cache, region, variant);
    if (slot < 0)
        return;
    drift_psound *snd = NULL;
    if (drift_gen_sound(s->model, &s->settings, region, variant, s->cache.epoch, s->rate, &snd) != DRIFT_OK) {
        lv2_log_error(&s->logger, "drift: generation failed: %s\n", drift_last_error());
        drift_cache_request_cancel(&s->cache, slot, true);
        return;
    }
    drift_gen_free_sound(atomic_exchange_explicit(&s->cache.slot[slot].incoming, snd, memory_order_acq_rel));
    drift_cache_poll(&s->cache);
}

static void note_on(instrument *s, int note, int velocity)
{
    if (!s->model)
        return;
    bool off = offline(s);
    int region = drift_cache_region_of(&s->cache, note);
    int variant = drift_cache_variant_for(&s->cache, region);
    if (off && !drift_cache_ready(&s->cache, region, variant))
        render_now(s, region, variant);
    bool exact;
    drift_psound *snd = drift_cache_take(&s->cache, note, !off, &exact);
    if (snd)
        drift_voices_note_on(&s->voices, &s->cache, snd, note, velocity);
}

static void midi_event(instrument *s, const uint8_t *msg, uint32_t size)
{
    if (size < 3)
        return;
    double release = ctl(s, P_RELEASE, 0.3f);
    switch (lv2_midi_message_type(msg)) {
    case LV2_MIDI_MSG_NOTE_ON:
        if (msg[2])
            note_on(s, msg[1] & 0x7f, msg[2] & 0x7f);
        else
            drift_voices_note_off(&s->voices, msg[1] & 0x7f, release);
        break;
    case LV2_MIDI_MSG_NOTE_OFF:
        drift_voices_note_off(&s->voices, msg[1] & 0x7f, release);
        break;
    case LV2_MIDI_MSG_CONTROLLER:
        if (msg[1] == LV2_MIDI_CTL_ALL_NOTES_OFF || msg[1] == LV2_MIDI_CTL_ALL_SOUNDS_OFF)
            drift_voices_all_off(&s->voices, msg[1] == LV2_MIDI_CTL_ALL_SOUNDS_OFF ? 0 : release);
        break;
    default:
        break;
    }
}

/* patch:Set <model> "path" loads in the worker; patch:Get <model> asks for it. */
static void patch_message(instrument *s, const LV2_Atom_Object *obj)
{
    const LV2_Atom *prop = NULL, *value = NULL;
    lv2_atom_object_get(obj, s->uris.patch_property, &prop, s->uris.patch_value, &value, 0);
    if (!prop || prop->type != s->uris.atom_URID || ((const LV2_Atom_URID *)prop)->body != s->uris.model)
        return;
    if (obj->body.otype == s->uris.patch_Get) {
        s->send_path = true;
        return;
    }
    if (obj->body.otype != s->uris.patch_Set || !value || value->type != s->uris.atom_Path)
        return;
    load_msg m = {W_LOAD, {0}};
    if (value->size == 0 || value->size >= sizeof m.path)
        return;
    memcpy(m.path, LV2_ATOM_BODY_CONST(value), value->size);
    if (s->schedule->schedule_work(s->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS)
        s->status = ST_LOADING;
}

static void send_model_path(instrument *s)
{
    if (!s->notify || !s->model)
        return;
    LV2_Atom_Forge *f = &s->forge;
    LV2_Atom_Forge_Frame frame;
    lv2_atom_forge_frame_time(f, 0);
    lv2_atom_forge_object(f, &frame, 0, s->uris.patch_Set);
    lv2_atom_forge_key(f, s->uris.patch_property);
    lv2_atom_forge_urid(f, s->uris.model);
    lv2_atom_forge_key(f, s->uris.patch_value);
    lv2_atom_forge_path(f, s->model->path, (uint32_t)strlen(s->model->path));
    lv2_atom_forge_pop(f, &frame);
    s->send_path = false;
}

/* Renders frames [from, to) of the outputs. */
static void render(instrument *s, uint32_t from, uint32_t to)
{
    float target = powf(10.0f, fminf(fmaxf(ctl(s, P_GAIN, 0), -90.0f), 24.0f) / 20.0f);
    float k = (float)(1.0 - exp(-1.0 / (0.01 * s->rate))); /* 10 ms smoothing */
    float gain[64];
    for (uint32_t at = from; at < to;) {
        uint32_t n = to - at < 64 ? to - at : 64;
        for (uint32_t i = 0; i < n; i++) {
            s->gain += (target - s->gain) * k;
            gain[i] = s->gain;
        }
        memset(s->out[0] + at, 0, n * sizeof(float));
        drift_voices_render(&s->voices, &s->cache, gain, s->out[0] + at, n);
        if (s->out[1])
            memcpy(s->out[1] + at, s->out[0] + at, n * sizeof(float));
        at += n;
    }
}

/* Some hosts hand over atom buffers that are not 8-byte aligned, so the
 * sequences are read and written through aligned copies (no allocation). */
#define NOTIFY_CAP 16384

/* The control sequence's events, each rendered up to its time first. */
static void read_events(instrument *s, uint32_t frames, uint32_t *done)
{
    const uint8_t *base = (const uint8_t *)s->control;
    LV2_Atom head;
    memcpy(&head, base, sizeof head);
    size_t end = sizeof head + head.size, off = sizeof(LV2_Atom_Sequence);
    while (off + sizeof(LV2_Atom_Event) <= end) {
        LV2_Atom_Event ev;
        memcpy(&ev, base + off, sizeof ev);
        const uint8_t *body = base + off + sizeof ev;
        if (off + sizeof ev + ev.body.size > end)
            break;
        uint32_t t = ev.time.frames < frames ? (uint32_t)ev.time.frames : frames;
        if (t > *done)
            render(s, *done, t), *done = t;
        if (ev.body.type == s->uris.midi_Event) {
            midi_event(s, body, ev.body.size);
        } else if ((ev.body.type == s->uris.atom_Object || ev.body.type == s->uris.atom_Blank) &&
                   sizeof(LV2_Atom) + ev.body.size <= sizeof s->scratch) {
            memcpy(s->scratch, base + off + offsetof(LV2_Atom_Event, body), sizeof(LV2_Atom) + ev.body.size);
            patch_message(s, (const LV2_Atom_Object *)s->scratch);
        }
        off += sizeof ev + lv2_atom_pad_size(ev.body.size);
    }
}

static void run(LV2_Handle handle, uint32_t frames)
{
    instrument *s = handle;
    read_settings(s);
    drift_cache_poll(&s->cache);
    LV2_Atom_Forge_Frame seq;
    uint32_t notify_cap = 0;
    if (s->notify) {
        LV2_Atom head;
        memcpy(&head, s->notify, sizeof head);
        notify_cap = head.size + (uint32_t)sizeof head < NOTIFY_CAP ? head.size + (uint32_t)sizeof head : NOTIFY_CAP;
        lv2_atom_forge_set_buffer(&s->forge, (uint8_t *)s->notify_buf, notify_cap);
        lv2_atom_forge_sequence_head(&s->forge, &seq, 0);
    }
    uint32_t done = 0;
    if (s->control)
        read_events(s, frames, &done);
    render(s, done, frames);
    if (s->send_path)
        send_model_path(s);
    if (s->notify) {
        lv2_atom_forge_pop(&s->forge, &seq);
        const LV2_Atom *written = (const LV2_Atom *)s->notify_buf;
        if (written->size + sizeof *written <= notify_cap)
            memcpy(s->notify, s->notify_buf, sizeof *written + written->size);
    }
    prefetch(s);
    flush_retired(s);
    if (s->ready_port)
        *s->ready_port = (float)drift_cache_count_ready(&s->cache);
    if (s->status_port)
        *s->status_port = (float)s->status;
}

/* ---- instantiation ---------------------------------------------------- */

static LV2_Handle instantiate(const LV2_Descriptor *d, double rate, const char *bundle,
                              const LV2_Feature *const *features)
{
    instrument *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    const char *missing = lv2_features_query(features, LV2_LOG__log, &s->logger.log, false, LV2_URID__map, &s->map,
                                             true, LV2_WORKER__schedule, &s->schedule, true, NULL);
    lv2_log_logger_set_map(&s->logger, s->map);
    if (missing) {
        lv2_log_error(&s->logger, "drift: the host lacks the feature %s\n", missing);
        free(s);
        return NULL;
    }
    for (int i = 0; features && features[i]; i++)
        if (strcmp(features[i]->URI, LV2_CORE__isLive) == 0)
            s->live = true;
    drift_plugin_uris_map(&s->uris, s->map);
    lv2_atom_forge_init(&s->forge, s->map);
    s->rate = rate;
    s->settings.preset = -1; /* differs from any setting: the first run() starts an epoch */
    drift_cache_init(&s->cache);
    drift_voices_init(&s->voices, rate);
    return s;
}

static void connect_port(LV2_Handle handle, uint32_t port, void *data)
{
    instrument *s = handle;
    switch (port) {
    case P_CONTROL: s->control = data; break;
    case P_NOTIFY: s->notify = data; break;
    case P_OUT_L: s->out[0] = data; break;
    case P_OUT_R: s->out[1] = data; break;
    case P_READY: s->ready_port = data; break;
    case P_STATUS: s->status_port = data; break;
    default:
        if (port < P_COUNT)
            s->in_ctl[port] = data;
        break;
    }
}

static void activate(LV2_Handle handle)
{
    instrument *s = handle;
    drift_voices_reset(&s->voices, &s->cache);
    drift_voices_init(&s->voices, s->rate);
    s->gain = powf(10.0f, ctl(s, P_GAIN, 0) / 20.0f);
    drift_cache_new_epoch(&s->cache, s->variation); /* variants count from 0 again */
}

static void deactivate(LV2_Handle handle)
{
    instrument *s = handle;
    drift_voices_reset(&s->voices, &s->cache);
}

static void cleanup(LV2_Handle handle)
{
    instrument *s = handle;
    drift_voices_reset(&s->voices, &s->cache);
    for (int i = 0; i < DRIFT_CACHE_SLOTS; i++) {
        drift_gen_free_sound(atomic_exchange(&s->cache.slot[i].incoming, NULL));
        drift_psound *snd = s->cache.slot[i].sound;
        if (snd && snd->users == 0)
            drift_gen_free_sound(snd);
    }
    drift_psound *snd;
    while ((snd = drift_cache_pop_retired(&s->cache)))
        drift_gen_free_sound(snd);
    release_model(s->model);
    if (s->dead_model)
        drift_gen_free(s->dead_model);
    free(s);
}

/* ---- state -------------------------------------------------------------- */

static LV2_State_Status save(LV2_Handle handle, LV2_State_Store_Function store, LV2_State_Handle h,
                             uint32_t flags, const LV2_Feature *const *features)
{
    instrument *s = handle;
    if (!s->model)
        return LV2_STATE_SUCCESS;
    LV2_State_Map_Path *map_path = lv2_features_data(features, LV2_STATE__mapPath);
    LV2_State_Free_Path *free_path = lv2_features_data(features, LV2_STATE__freePath);
    char *apath = map_path ? map_path->abstract_path(map_path->handle, s->model->path) : strdup(s->model->path);
    if (!apath)
        return LV2_STATE_ERR_UNKNOWN;
    LV2_State_Status st = store(h, s->uris.model, apath, strlen(apath) + 1, s->uris.atom_Path,
                                LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
    if (free_path && map_path)
        free_path->free_path(free_path->handle, apath);
    else
        free(apath);
    return st;
}

/* A file URI's path, percent-decoded (malloc'd), or NULL. */
static char *file_uri_path(const char *uri)
{
    if (strncmp(uri, "file://", 7) != 0)
        return NULL;
    const char *p = strchr(uri + 7, '/');
    char *out = p ? malloc(strlen(p) + 1) : NULL;
    if (!out)
        return NULL;
    size_t n = 0;
    for (; *p; p++) {
        unsigned hex;
        if (p[0] == '%' && sscanf(p + 1, "%2x", &hex) == 1)
            out[n++] = (char)hex, p += 2;
        else
            out[n++] = *p;
    }
    out[n] = '\0';
    return out;
}

/* The model path of a state value: an atom:Path through mapPath (saved
 * state), or a file URI (presets written by hand may give one). */
static char *state_model_path(instrument *s, const char *value, uint32_t type, const LV2_Feature *const *features)
{
    if (type == s->uris.atom_URI || (type == s->uris.atom_String && strncmp(value, "file://", 7) == 0))
        return file_uri_path(value);
    if (type != s->uris.atom_Path)
        return NULL;
    LV2_State_Map_Path *map_path = lv2_features_data(features, LV2_STATE__mapPath);
    if (!map_path)
        return strdup(value);
    char *mapped = map_path->absolute_path(map_path->handle, value);
    char *path = mapped ? strdup(mapped) : NULL;
    LV2_State_Free_Path *free_path = lv2_features_data(features, LV2_STATE__freePath);
    if (free_path)
        free_path->free_path(free_path->handle, mapped);
    else
        free(mapped);
    return path;
}

/* Restore loads the model at once: hosts never call it concurrently with
 * run(), and a restored project should play its sounds immediately. */
static LV2_State_Status restore(LV2_Handle handle, LV2_State_Retrieve_Function retrieve, LV2_State_Handle h,
                                uint32_t flags, const LV2_Feature *const *features)
{
    instrument *s = handle;
    size_t size;
    uint32_t type, vflags;
    const char *value = retrieve(h, s->uris.model, &size, &type, &vflags);
    if (!value || size == 0 || value[size - 1] != '\0')
        return LV2_STATE_SUCCESS;
    char *path = state_model_path(s, value, type, features);
    if (!path) {
        lv2_log_error(&s->logger, "drift: the state's model is not a file path (%s)\n", value);
        return LV2_STATE_ERR_BAD_TYPE;
    }
    drift_gen_model *g = NULL;
    drift_status st = drift_gen_load(path, &g);
    free(path);
    if (st != DRIFT_OK) {
        lv2_log_error(&s->logger, "drift: cannot restore the model: %s\n", drift_last_error());
        s->status = ST_ERROR;
        return LV2_STATE_ERR_UNKNOWN;
    }
    drift_gen_model *old = s->model;
    s->model = g;
    drift_cache_set_regions(&s->cache, g->n_regions, g->region_note);
    s->status = ST_READY;
    s->send_path = true;
    release_model(old); /* requests still queued hold their own references */
    return LV2_STATE_SUCCESS;
}

static const void *extension_data(const char *uri)
{
    static const LV2_Worker_Interface worker = {work, work_response, NULL};
    static const LV2_State_Interface state = {save, restore};
    if (strcmp(uri, LV2_WORKER__interface) == 0)
        return &worker;
    if (strcmp(uri, LV2_STATE__interface) == 0)
        return &state;
    return NULL;
}

const LV2_Descriptor drift_instrument_descriptor = {
    DRIFT_LV2_INSTRUMENT_URI, instantiate, connect_port, activate, run, deactivate, cleanup, extension_data,
};
