/* gen.c: loading sound models and generating one-shots for the instrument
 * (worker side; see gen.h). */
#include "gen.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resample.h"

int drift_gen_note_of_name(const char *w)
{
    static const int pc[7] = {9, 11, 0, 2, 4, 5, 7}; /* A B C D E F G */
    char l = (char)toupper((unsigned char)w[0]);
    if (l < 'A' || l > 'G')
        return -1;
    int note = pc[l - 'A'];
    const char *p = w + 1;
    if (*p == '#')
        note++, p++;
    else if (*p == 'b')
        note--, p++;
    int sign = 1;
    if (*p == '-')
        sign = -1, p++;
    if (!isdigit((unsigned char)*p) || p[1] != '\0')
        return -1;
    int octave = sign * (*p - '0');
    int midi = (octave + 1) * 12 + note;
    return midi >= 0 && midi <= 127 ? midi : -1;
}

/* Pitch tags -> regions (insertion sort by note), or one base-note region. */
static void find_regions(drift_gen_model *g)
{
    const drift_model_config *c = &g->model->cfg;
    g->n_regions = 0;
    for (int i = 0; i < c->vocab_size && g->n_regions < DRIFT_CACHE_MAX_REGIONS; i++) {
        int note = drift_gen_note_of_name(c->vocab[i]);
        if (note < 0)
            continue;
        int k = g->n_regions++;
        while (k > 0 && g->region_note[k - 1] > note) {
            g->region_note[k] = g->region_note[k - 1];
            g->region_tag[k] = g->region_tag[k - 1];
            k--;
        }
        g->region_note[k] = note;
        g->region_tag[k] = c->vocab[i];
    }
    if (g->n_regions == 0) {
        g->n_regions = 1;
        g->region_note[0] = g->params.base_note;
        g->region_tag[0] = NULL;
    }
}

static drift_status find_presets(drift_gen_model *g)
{
    const drift_model_config *c = &g->model->cfg;
    g->presets_are_classes = c->n_classes > 0;
    int n = g->presets_are_classes ? c->n_classes : c->vocab_size;
    g->preset = calloc((size_t)(n > 0 ? n : 1), sizeof *g->preset);
    if (!g->preset)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for the sound presets of %s", g->path);
    for (int i = 0; i < n; i++) {
        const char *name = g->presets_are_classes ? c->class_names[i] : c->vocab[i];
        if (g->presets_are_classes || drift_gen_note_of_name(name) < 0)
            g->preset[g->n_presets++] = name;
    }
    return DRIFT_OK;
}

static void leave_a_core(void)
{
    int n = drift_cpu_count() - 1;
    drift_set_threads(n > 1 ? n : 1);
}

drift_status drift_gen_load(const char *path, drift_gen_model **out)
{
    /* Generation leaves one core to the host's audio thread. */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, leave_a_core);
    *out = NULL;
    drift_gen_model *g = calloc(1, sizeof *g);
    if (!g)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory loading %s", path);
    snprintf(g->path, sizeof g->path, "%s", path);
    pthread_mutex_init(&g->lock, NULL);
    atomic_init(&g->refs, 1);
    drift_status st = drift_model_load(path, &g->model);
    if (st == DRIFT_OK)
        st = drift_sound_params_from_model(g->model, &g->params);
    if (st == DRIFT_OK)
        st = drift_sound_engine_create(g->model, &g->engine);
    if (st == DRIFT_OK)
        st = find_presets(g);
    if (st != DRIFT_OK) {
        drift_gen_free(g);
        return st;
    }
    find_regions(g);
    *out = g;
    return DRIFT_OK;
}

void drift_gen_free(drift_gen_model *g)
{
    if (!g)
        return;
    drift_sound_engine_free(g->engine);
    drift_model_free(g->model);
    free(g->preset);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void drift_gen_ref(drift_gen_model *g)
{
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
}

bool drift_gen_unref(drift_gen_model *g)
{
    return atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1;
}

void drift_gen_free_sound(drift_psound *s)
{
    if (s) {
        free(s->data);
        free(s);
    }
}

/* The prompt for a preset and region: "preset pitchtag", either optional. */
static void make_prompt(const drift_gen_model *g, const drift_gen_settings *s, int region, char *buf, size_t cap)
{
    const char *word = !g->presets_are_classes && g->n_presets ? g->preset[(unsigned)s->preset % g->n_presets] : NULL;
    const char *tag = g->region_tag[region];
    snprintf(buf, cap, "%s%s%s", word ? word : "", word && tag ? " " : "", tag ? tag : "");
}

/* Short fades so a one-shot starts and ends at zero: 1 ms in, 10 ms out. */
static void fade_edges(float *x, size_t n, double rate)
{
    size_t in = (size_t)(0.001 * rate) + 1, out = (size_t)(0.010 * rate) + 1;
    if (in > n / 2)
        in = n / 2;
    if (out > n / 2)
        out = n / 2;
    for (size_t i = 0; i < in; i++)
        x[i] *= (float)i / (float)in;
    for (size_t i = 0; i < out; i++)
        x[n - 1 - i] *= (float)i / (float)out;
}

static drift_status run_generation(drift_gen_model *g, const drift_gen_settings *s, int region, int variant,
                                   float **audio, size_t *frames)
{
    char prompt[512];
    make_prompt(g, s, region, prompt, sizeof prompt);
    uint32_t words[4];
    drift_philox_block(s->seed, (uint64_t)region, (uint64_t)variant, words);
    drift_sound_request rq;
    drift_sound_request_defaults(&rq);
    rq.prompt = prompt[0] ? prompt : NULL;
    rq.class_id = g->presets_are_classes && g->n_presets ? (int)((unsigned)s->preset % g->n_presets) : -1;
    rq.seed = ((uint64_t)words[0] << 32 | words[1]) >> 1;
    rq.steps = s->steps;
    bool conditioned = rq.prompt || rq.class_id >= 0;
    rq.guidance = conditioned ? s->guidance : 1.0f;
    pthread_mutex_lock(&g->lock);
    drift_status st = drift_sound_engine_generate(g->engine, &rq, audio, frames);
    pthread_mutex_unlock(&g->lock);
    return st;
}

drift_status drift_gen_sound(drift_gen_model *g, const drift_gen_settings *s, int region, int variant,
                             uint32_t epoch, double rate, drift_psound **out)
{
    *out = NULL;
    if (region < 0 || region >= g->n_regions)
        return drift_fail(DRIFT_ERR_ARG, "no region %d in %s (%d regions)", region, g->path, g->n_regions);
    float *audio = NULL;
    size_t n = 0;
    drift_status st = run_generation(g, s, region, variant, &audio, &n);
    if (st != DRIFT_OK)
        return st;
    int in_rate = g->params.sample_rate, out_rate = (int)lround(rate);
    size_t m = drift_resample_length(n, in_rate, out_rate);
    drift_psound *ps = calloc(1, sizeof *ps);
    float *data = malloc((m ? m : 1) * sizeof *data);
    if (!ps || !data || m == 0) {
        free(audio), free(ps), free(data);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a %zu-sample sound", m);
    }
    st = drift_resample(audio, n, 1, in_rate, out_rate, data);
    free(audio);
    if (st != DRIFT_OK) {
        free(ps), free(data);
        return st;
    }
    fade_edges(data, m, rate);
    ps->data = data;
    ps->frames = m;
    ps->note = (float)g->region_note[region];
    ps->epoch = epoch;
    ps->region = region;
    ps->variant = variant;
    *out = ps;
    return DRIFT_OK;
}
