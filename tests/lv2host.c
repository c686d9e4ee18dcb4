/* lv2host.c: a small lilv-based LV2 host for drift's plugin tests (see
 * lv2host.h). Also interposes the allocator so that allocations made on
 * the audio thread while the plugin's run() executes can be counted. */
#include "lv2host.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <lilv/lilv.h>
#include <lv2/atom/forge.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

/* ---- allocation counting ------------------------------------------------ */

/* Set on the audio thread around run(); volatile so that the compiler
 * keeps every store (the allocator reads it behind its back). */
static _Thread_local volatile int counting;
static atomic_long allocations;

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LV2HOST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LV2HOST_ASAN 1
#endif

#ifdef LV2HOST_ASAN
/* AddressSanitizer owns malloc: count through its hooks instead. */
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
                                              void (*f)(const volatile void *));
static void malloc_hook(const volatile void *p, size_t n)
{
    if (counting)
        atomic_fetch_add(&allocations, 1);
}
static void free_hook(const volatile void *p)
{
    if (counting && p)
        atomic_fetch_add(&allocations, 1);
}
static void install_counter(void)
{
    __sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
}
#else
/* glibc's own entry points, which the definitions below forward to. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static inline void count(void)
{
    if (counting)
        atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
}
void *malloc(size_t n)
{
    count();
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    count();
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    count();
    return __libc_realloc(p, n);
}
void free(void *p)
{
    if (p)
        count();
    __libc_free(p);
}
void *aligned_alloc(size_t align, size_t n)
{
    count();
    return __libc_memalign(align, n);
}
int posix_memalign(void **out, size_t align, size_t n)
{
    count();
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
static void install_counter(void)
{
}
#endif

/* ---- urid map ------------------------------------------------------------ */

typedef struct {
    char **uris;
    size_t n, cap;
    pthread_mutex_t lock;
} urid_table;

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
    urid_table *t = handle;
    pthread_mutex_lock(&t->lock);
    LV2_URID id = 0;
    for (size_t i = 0; i < t->n && !id; i++)
        if (strcmp(t->uris[i], uri) == 0)
            id = (LV2_URID)(i + 1);
    if (!id) {
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 64;
            t->uris = realloc(t->uris, t->cap * sizeof *t->uris);
        }
        t->uris[t->n++] = strdup(uri);
        id = (LV2_URID)t->n;
    }
    pthread_mutex_unlock(&t->lock);
    return id;
}

static const char *unmap_uri(LV2_URID_Unmap_Handle handle, LV2_URID id)
{
    urid_table *t = handle;
    pthread_mutex_lock(&t->lock);
    const char *s = id >= 1 && id <= t->n ? t->uris[id - 1] : NULL;
    pthread_mutex_unlock(&t->lock);
    return s;
}

/* ---- the host ------------------------------------------------------------ */

#define MAX_PORTS 32
#define ATOM_CAP 65536
#define MAX_BLOCK 4096
#define QUEUE_LEN 256
#define MSG_CAP 8192
#define MAX_EVENTS 64

typedef enum { PORT_AUDIO_IN, PORT_AUDIO_OUT, PORT_CONTROL_IN, PORT_CONTROL_OUT, PORT_ATOM_IN, PORT_ATOM_OUT,
               PORT_OTHER } port_kind;

typedef struct {
    port_kind kind;
    char symbol[64];
    float value;
    void *buf;
} host_port;

typedef struct {
    uint32_t size;
    uint8_t data[MSG_CAP];
} message;

typedef struct {
    message items[QUEUE_LEN];
    int head, count;
} queue;

typedef struct {
    uint32_t frame;
    bool midi;
    uint8_t bytes[3];
    char prop[256], path[1024];
} host_event;

struct lv2host {
    LilvWorld *world;
    const LilvPlugin *plugin;
    LilvInstance *instance;
    urid_table urids;
    LV2_URID_Map map;
    LV2_URID_Unmap unmap;
    LV2_Worker_Schedule schedule;
    LV2_Log_Log log;
    LV2_Feature f_map, f_unmap, f_schedule, f_live, f_log;
    const LV2_Feature *features[8];
    const LV2_Worker_Interface *worker;
    lv2host_worker_mode mode;
    double worker_delay; /* seconds before each threaded job */
    LV2_Atom_Forge forge;
    LV2_URID atom_Float, midi_Event, patch_Set, patch_property, patch_value;

    host_port ports[MAX_PORTS];
    int n_ports;
    host_event events[MAX_EVENTS];
    int n_events;

    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool thread_started, stopping;
    int busy;
    queue jobs, replies;

    double worst_run;
    long base_allocations;
};

static bool queue_push(queue *q, uint32_t size, const void *data)
{
    if (q->count == QUEUE_LEN || size > MSG_CAP)
        return false;
    message *m = &q->items[(q->head + q->count++) % QUEUE_LEN];
    m->size = size;
    memcpy(m->data, data, size);
    return true;
}

static bool queue_pop(queue *q, message *out)
{
    if (!q->count)
        return false;
    *out = q->items[q->head];
    q->head = (q->head + 1) % QUEUE_LEN;
    q->count--;
    return true;
}

static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size, const void *data)
{
    lv2host *h = handle;
    pthread_mutex_lock(&h->lock);
    bool ok = queue_push(&h->replies, size, data);
    pthread_mutex_unlock(&h->lock);
    return ok ? LV2_WORKER_SUCCESS : LV2_WORKER_ERR_NO_SPACE;
}

static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size, const void *data)
{
    lv2host *h = handle;
    if (h->mode == LV2HOST_WORKER_SYNC) {
        /* The plugin's work() is not part of run(): stop counting for it. */
        int was = counting;
        counting = 0;
        h->worker->work(lilv_instance_get_handle(h->instance), respond, h, size, data);
        counting = was;
        return LV2_WORKER_SUCCESS;
    }
    pthread_mutex_lock(&h->lock);
    bool ok = queue_push(&h->jobs, size, data);
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    return ok ? LV2_WORKER_SUCCESS : LV2_WORKER_ERR_NO_SPACE;
}

void lv2host_set_worker_delay(lv2host *h, double seconds)
{
    pthread_mutex_lock(&h->lock);
    h->worker_delay = seconds;
    pthread_mutex_unlock(&h->lock);
}

static void *worker_thread(void *arg)
{
    lv2host *h = arg;
    message *job = malloc(sizeof *job);
    pthread_mutex_lock(&h->lock);
    for (;;) {
        while (!h->stopping && !h->jobs.count)
            pthread_cond_wait(&h->cond, &h->lock);
        if (h->stopping)
            break;
        queue_pop(&h->jobs, job);
        h->busy = 1;
        double delay = h->worker_delay;
        pthread_mutex_unlock(&h->lock);
        if (delay > 0)
            nanosleep(&(struct timespec){(time_t)delay, (long)((delay - (time_t)delay) * 1e9)}, NULL);
        h->worker->work(lilv_instance_get_handle(h->instance), respond, h, job->size, job->data);
        pthread_mutex_lock(&h->lock);
        h->busy = 0;
        pthread_cond_broadcast(&h->cond);
    }
    pthread_mutex_unlock(&h->lock);
    free(job);
    return NULL;
}

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, va_list ap)
{
    return vfprintf(stderr, fmt, ap);
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = log_vprintf(handle, type, fmt, ap);
    va_end(ap);
    return n;
}

static void setup_features(lv2host *h, bool live)
{
    pthread_mutex_init(&h->urids.lock, NULL);
    h->map = (LV2_URID_Map){&h->urids, map_uri};
    h->unmap = (LV2_URID_Unmap){&h->urids, unmap_uri};
    h->schedule = (LV2_Worker_Schedule){h, schedule_work};
    h->log = (LV2_Log_Log){h, log_printf, log_vprintf};
    h->f_map = (LV2_Feature){LV2_URID__map, &h->map};
    h->f_unmap = (LV2_Feature){LV2_URID__unmap, &h->unmap};
    h->f_schedule = (LV2_Feature){LV2_WORKER__schedule, &h->schedule};
    h->f_live = (LV2_Feature){LV2_CORE__isLive, NULL};
    h->f_log = (LV2_Feature){LV2_LOG__log, &h->log};
    int n = 0;
    h->features[n++] = &h->f_map;
    h->features[n++] = &h->f_unmap;
    h->features[n++] = &h->f_schedule;
    h->features[n++] = &h->f_log;
    if (live)
        h->features[n++] = &h->f_live;
    h->features[n] = NULL;
    lv2_atom_forge_init(&h->forge, &h->map);
    h->atom_Float = h->map.map(h->map.handle, LV2_ATOM__Float);
    h->midi_Event = h->map.map(h->map.handle, LV2_MIDI__MidiEvent);
    h->patch_Set = h->map.map(h->map.handle, LV2_PATCH__Set);
    h->patch_property = h->map.map(h->map.handle, LV2_PATCH__property);
    h->patch_value = h->map.map(h->map.handle, LV2_PATCH__value);
}

static port_kind classify(lv2host *h, const LilvPort *p)
{
    LilvNode *in = lilv_new_uri(h->world, LV2_CORE__InputPort);
    LilvNode *audio = lilv_new_uri(h->world, LV2_CORE__AudioPort);
    LilvNode *control = lilv_new_uri(h->world, LV2_CORE__ControlPort);
    LilvNode *atom = lilv_new_uri(h->world, LV2_ATOM__AtomPort);
    bool is_in = lilv_port_is_a(h->plugin, p, in);
    port_kind k = PORT_OTHER;
    if (lilv_port_is_a(h->plugin, p, audio))
        k = is_in ? PORT_AUDIO_IN : PORT_AUDIO_OUT;
    else if (lilv_port_is_a(h->plugin, p, control))
        k = is_in ? PORT_CONTROL_IN : PORT_CONTROL_OUT;
    else if (lilv_port_is_a(h->plugin, p, atom))
        k = is_in ? PORT_ATOM_IN : PORT_ATOM_OUT;
    lilv_node_free(in), lilv_node_free(audio), lilv_node_free(control), lilv_node_free(atom);
    return k;
}

static bool setup_ports(lv2host *h)
{
    h->n_ports = (int)lilv_plugin_get_num_ports(h->plugin);
    if (h->n_ports > MAX_PORTS)
        return false;
    float defaults[MAX_PORTS];
    lilv_plugin_get_port_ranges_float(h->plugin, NULL, NULL, defaults);
    for (int i = 0; i < h->n_ports; i++) {
        host_port *hp = &h->ports[i];
        const LilvPort *p = lilv_plugin_get_port_by_index(h->plugin, (uint32_t)i);
        hp->kind = classify(h, p);
        snprintf(hp->symbol, sizeof hp->symbol, "%s", lilv_node_as_string(lilv_port_get_symbol(h->plugin, p)));
        hp->value = defaults[i] == defaults[i] ? defaults[i] : 0; /* NaN: no default */
        if (hp->kind == PORT_AUDIO_IN || hp->kind == PORT_AUDIO_OUT)
            hp->buf = calloc(MAX_BLOCK, sizeof(float));
        else if (hp->kind == PORT_ATOM_IN || hp->kind == PORT_ATOM_OUT)
            hp->buf = calloc(1, ATOM_CAP);
        else
            hp->buf = &hp->value;
        lilv_instance_connect_port(h->instance, (uint32_t)i, hp->kind == PORT_OTHER ? NULL : hp->buf);
    }
    return true;
}

lv2host *lv2host_new(const char *uri, double rate, bool live, lv2host_worker_mode mode)
{
    install_counter();
    lv2host *h = calloc(1, sizeof *h);
    h->mode = mode;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    setup_features(h, live);
    h->world = lilv_world_new();
    lilv_world_load_all(h->world);
    LilvNode *u = lilv_new_uri(h->world, uri);
    h->plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(h->world), u);
    lilv_node_free(u);
    if (!h->plugin) {
        fprintf(stderr, "lv2host: no plugin %s in LV2_PATH=%s\n", uri, getenv("LV2_PATH") ? getenv("LV2_PATH") : "");
        lv2host_free(h);
        return NULL;
    }
    h->instance = lilv_plugin_instantiate(h->plugin, rate, h->features);
    if (!h->instance || !setup_ports(h)) {
        fprintf(stderr, "lv2host: %s did not instantiate\n", uri);
        lv2host_free(h);
        return NULL;
    }
    h->worker = lilv_instance_get_extension_data(h->instance, LV2_WORKER__interface);
    if (h->worker && mode == LV2HOST_WORKER_THREAD) {
        h->thread_started = pthread_create(&h->thread, NULL, worker_thread, h) == 0;
        /* Like a live host's audio thread: real-time priority when allowed. */
        struct sched_param sp = {.sched_priority = 10};
        if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0)
            fprintf(stderr, "lv2host: no real-time priority for the audio thread; timings include preemption\n");
    }
    lilv_instance_activate(h->instance);
    return h;
}

void lv2host_free(lv2host *h)
{
    if (!h)
        return;
    if (h->thread_started) {
        pthread_mutex_lock(&h->lock);
        h->stopping = true;
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->thread, NULL);
    }
    if (h->instance) {
        lilv_instance_deactivate(h->instance);
        lilv_instance_free(h->instance);
    }
    for (int i = 0; i < h->n_ports; i++)
        if (h->ports[i].buf != &h->ports[i].value)
            free(h->ports[i].buf);
    lilv_world_free(h->world);
    for (size_t i = 0; i < h->urids.n; i++)
        free(h->urids.uris[i]);
    free(h->urids.uris);
    free(h);
}

static host_port *find_port(const lv2host *h, const char *symbol)
{
    for (int i = 0; i < h->n_ports; i++)
        if (strcmp(h->ports[i].symbol, symbol) == 0)
            return (host_port *)&h->ports[i];
    return NULL;
}

bool lv2host_set_control(lv2host *h, const char *symbol, float value)
{
    host_port *p = find_port(h, symbol);
    if (!p || p->kind != PORT_CONTROL_IN)
        return false;
    p->value = value;
    return true;
}

float lv2host_get_control(const lv2host *h, const char *symbol)
{
    host_port *p = find_port(h, symbol);
    return p ? p->value : 0.0f / 0.0f;
}

void lv2host_midi(lv2host *h, uint32_t frame, uint8_t status, uint8_t d1, uint8_t d2)
{
    if (h->n_events == MAX_EVENTS)
        return;
    host_event *e = &h->events[h->n_events++];
    memset(e, 0, sizeof *e);
    e->frame = frame;
    e->midi = true;
    e->bytes[0] = status, e->bytes[1] = d1, e->bytes[2] = d2;
}

void lv2host_set_path(lv2host *h, uint32_t frame, const char *property_uri, const char *path)
{
    if (h->n_events == MAX_EVENTS)
        return;
    host_event *e = &h->events[h->n_events++];
    memset(e, 0, sizeof *e);
    e->frame = frame;
    snprintf(e->prop, sizeof e->prop, "%s", property_uri);
    snprintf(e->path, sizeof e->path, "%s", path);
}

/* The control input sequence for this block, from the queued events. */
static void write_events(lv2host *h, void *buf)
{
    LV2_Atom_Forge *f = &h->forge;
    LV2_Atom_Forge_Frame seq, obj;
    lv2_atom_forge_set_buffer(f, buf, ATOM_CAP);
    lv2_atom_forge_sequence_head(f, &seq, 0);
    for (int i = 0; i < h->n_events; i++) {
        const host_event *e = &h->events[i];
        lv2_atom_forge_frame_time(f, e->frame);
        if (e->midi) {
            lv2_atom_forge_atom(f, 3, h->midi_Event);
            lv2_atom_forge_write(f, e->bytes, 3);
        } else {
            lv2_atom_forge_object(f, &obj, 0, h->patch_Set);
            lv2_atom_forge_key(f, h->patch_property);
            lv2_atom_forge_urid(f, h->map.map(h->map.handle, e->prop));
            lv2_atom_forge_key(f, h->patch_value);
            lv2_atom_forge_path(f, e->path, (uint32_t)strlen(e->path));
            lv2_atom_forge_pop(f, &obj);
        }
    }
    lv2_atom_forge_pop(f, &seq);
    h->n_events = 0;
}

static void deliver_replies(lv2host *h)
{
    message m;
    for (;;) {
        pthread_mutex_lock(&h->lock);
        bool got = queue_pop(&h->replies, &m);
        pthread_mutex_unlock(&h->lock);
        if (!got)
            break;
        counting = 1;
        h->worker->work_response(lilv_instance_get_handle(h->instance), m.size, m.data);
        counting = 0;
    }
    if (h->worker && h->worker->end_run)
        h->worker->end_run(lilv_instance_get_handle(h->instance));
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void lv2host_run(lv2host *h, uint32_t frames, float *out, float *out2)
{
    int outs = 0;
    for (int i = 0; i < h->n_ports; i++) {
        host_port *p = &h->ports[i];
        if (p->kind == PORT_ATOM_IN)
            write_events(h, p->buf);
        else if (p->kind == PORT_ATOM_OUT)
            *(LV2_Atom *)p->buf = (LV2_Atom){ATOM_CAP - sizeof(LV2_Atom), 0};
    }
    double t0 = now();
    counting = 1;
    lilv_instance_run(h->instance, frames);
    counting = 0;
    double dt = now() - t0;
    if (dt > h->worst_run && h->mode == LV2HOST_WORKER_THREAD)
        h->worst_run = dt;
    for (int i = 0; i < h->n_ports; i++)
        if (h->ports[i].kind == PORT_AUDIO_OUT) {
            float *dst = outs == 0 ? out : outs == 1 ? out2 : NULL;
            if (dst)
                memcpy(dst, h->ports[i].buf, frames * sizeof(float));
            outs++;
        }
    if (h->worker)
        deliver_replies(h);
}

void lv2host_run_with_input(lv2host *h, const float *in, uint32_t frames, float *out)
{
    for (int i = 0; i < h->n_ports; i++)
        if (h->ports[i].kind == PORT_AUDIO_IN) {
            memcpy(h->ports[i].buf, in, frames * sizeof(float));
            break;
        }
    lv2host_run(h, frames, out, NULL);
}

bool lv2host_settle(lv2host *h, uint32_t frames, double timeout_s)
{
    double end = now() + timeout_s;
    for (;;) {
        pthread_mutex_lock(&h->lock);
        bool idle = !h->jobs.count && !h->busy && !h->replies.count;
        pthread_mutex_unlock(&h->lock);
        lv2host_run(h, frames, NULL, NULL); /* delivers replies; output ports update */
        if (idle && h->mode == LV2HOST_WORKER_SYNC)
            return true;
        if (idle) {
            /* A run may have scheduled more work (generation ahead). */
            pthread_mutex_lock(&h->lock);
            idle = !h->jobs.count && !h->busy && !h->replies.count;
            pthread_mutex_unlock(&h->lock);
            if (idle)
                return true;
        }
        if (now() > end)
            return false;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
}

static const void *get_value(const char *symbol, void *user, uint32_t *size, uint32_t *type)
{
    lv2host *h = user;
    host_port *p = find_port(h, symbol);
    if (!p || p->kind != PORT_CONTROL_IN)
        return NULL;
    *size = sizeof(float);
    *type = h->atom_Float;
    return &p->value;
}

static void set_value(const char *symbol, void *user, const void *value, uint32_t size, uint32_t type)
{
    lv2host *h = user;
    host_port *p = find_port(h, symbol);
    if (p && p->kind == PORT_CONTROL_IN && type == h->atom_Float && size == sizeof(float))
        memcpy(&p->value, value, sizeof(float));
}

bool lv2host_save_state(lv2host *h, const char *dir)
{
    mkdir(dir, 0755);
    LilvState *st = lilv_state_new_from_instance(h->plugin, h->instance, &h->map, NULL, dir, dir, dir, get_value,
                                                 h, LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, h->features);
    if (!st)
        return false;
    int rc = lilv_state_save(h->world, &h->map, &h->unmap, st, NULL, dir, "state.ttl");
    lilv_state_free(st);
    return rc == 0;
}

bool lv2host_restore_state(lv2host *h, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/state.ttl", dir);
    LilvState *st = lilv_state_new_from_file(h->world, &h->map, NULL, path);
    if (!st)
        return false;
    lilv_state_restore(st, h->instance, set_value, h, 0, h->features);
    lilv_state_free(st);
    return true;
}

long lv2host_run_allocations(const lv2host *h)
{
    return atomic_load(&allocations) - h->base_allocations;
}

double lv2host_worst_run_seconds(const lv2host *h)
{
    return h->worst_run;
}

void lv2host_reset_stats(lv2host *h)
{
    h->worst_run = 0;
    h->base_allocations = atomic_load(&allocations);
}

long lv2host_counter_self_test(void)
{
    install_counter();
    long before = atomic_load(&allocations);
    counting = 1;
    void *volatile p = malloc(64);
    free(p);
    counting = 0;
    return atomic_load(&allocations) - before;
}
