/* fluid.c: SoundFont notes rendered in memory with libfluidsynth (see
 * fluid.h). */
#include "fluid.h"
#include "sndio.h"

#include <errno.h>
#include <fluidsynth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BLOCK 64

struct drift_fluid {
    fluid_settings_t *settings;
    fluid_synth_t *synth;
    int sfont_id, rate;
    float *left, *right;
    size_t cap;
};

static void quiet_logs(void)
{
    for (int level = 0; level < LAST_LOG_LEVEL; level++)
        fluid_set_log_function(level, NULL, NULL);
}

drift_status drift_fluid_open(const char *sf2_path, int rate, float gain, drift_fluid **out)
{
    *out = NULL;
    if (rate < 8000 || rate > 96000)
        return drift_fail(DRIFT_ERR_ARG, "FluidSynth renders at 8000..96000 Hz, not %d", rate);
    if (!(gain > 0 && gain <= 10))
        return drift_fail(DRIFT_ERR_ARG, "FluidSynth gain must be in (0, 10], got %g", gain);
    quiet_logs();
    if (!fluid_is_soundfont(sf2_path))
        return drift_fail(DRIFT_ERR_IO, "'%s' is not a readable SoundFont (Debian: apt install fluid-soundfont-gm)",
                          sf2_path);
    drift_fluid *f = calloc(1, sizeof *f);
    if (!f || !(f->settings = new_fluid_settings())) {
        free(f);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for FluidSynth");
    }
    fluid_settings_setnum(f->settings, "synth.sample-rate", rate);
    fluid_settings_setnum(f->settings, "synth.gain", gain);
    fluid_settings_setint(f->settings, "synth.reverb.active", 0);
    fluid_settings_setint(f->settings, "synth.chorus.active", 0);
    fluid_settings_setint(f->settings, "synth.cpu-cores", 1);
    f->rate = rate;
    f->synth = new_fluid_synth(f->settings);
    if (!f->synth) {
        drift_fluid_close(f);
        return drift_fail(DRIFT_ERR_DEVICE, "FluidSynth could not start a synthesizer");
    }
    f->sfont_id = fluid_synth_sfload(f->synth, sf2_path, 0);
    if (f->sfont_id == FLUID_FAILED) {
        drift_fluid_close(f);
        return drift_fail(DRIFT_ERR_FORMAT, "FluidSynth could not load the SoundFont '%s'", sf2_path);
    }
    *out = f;
    return DRIFT_OK;
}

void drift_fluid_close(drift_fluid *f)
{
    if (!f)
        return;
    if (f->synth)
        delete_fluid_synth(f->synth);
    delete_fluid_settings(f->settings);
    free(f->left);
    free(f->right);
    free(f);
}

static drift_status reserve(drift_fluid *f, size_t frames)
{
    if (frames <= f->cap)
        return DRIFT_OK;
    float *l = realloc(f->left, frames * sizeof *l);
    if (l)
        f->left = l;
    float *r = realloc(f->right, frames * sizeof *r);
    if (r)
        f->right = r;
    if (!l || !r)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for %zu frames", frames);
    f->cap = frames;
    return DRIFT_OK;
}

/* Renders frames [from, to) of the stereo buffers. */
static drift_status write_span(fluid_synth_t *syn, drift_fluid *f, size_t from, size_t to)
{
    if (to <= from)
        return DRIFT_OK;
    if (fluid_synth_write_float(syn, (int)(to - from), f->left + from, 0, 1, f->right + from, 0, 1) !=
        FLUID_OK)
        return drift_fail(DRIFT_ERR_DEVICE, "FluidSynth failed to render");
    return DRIFT_OK;
}

/* Renders on a fresh synthesizer that shares the loaded SoundFont: voices
 * keep a little state from the notes they played before, so a new synth
 * per clip makes every clip independent of the ones rendered before it. */
static drift_status fresh_synth(drift_fluid *f, fluid_synth_t **out, int *sfont_id)
{
    fluid_sfont_t *sf = fluid_synth_get_sfont_by_id(f->synth, f->sfont_id);
    fluid_synth_t *syn = sf ? new_fluid_synth(f->settings) : NULL;
    *sfont_id = syn ? fluid_synth_add_sfont(syn, sf) : FLUID_FAILED;
    if (*sfont_id == FLUID_FAILED) {
        if (syn)
            delete_fluid_synth(syn);
        return drift_fail(DRIFT_ERR_DEVICE, "FluidSynth could not start a synthesizer");
    }
    *out = syn;
    return DRIFT_OK;
}

static void drop_synth(drift_fluid *f, fluid_synth_t *syn)
{
    fluid_synth_remove_sfont(syn, fluid_synth_get_sfont_by_id(f->synth, f->sfont_id));
    delete_fluid_synth(syn);
}

drift_status drift_fluid_render(drift_fluid *f, bool drums, int program, int note, int velocity,
                                double note_seconds, size_t frames, float *out)
{
    if (program < 0 || program > 127 || note < 0 || note > 127 || velocity < 1 || velocity > 127)
        return drift_fail(DRIFT_ERR_ARG, "bad note: program %d, note %d, velocity %d (each 0..127)", program, note,
                          velocity);
    if (frames == 0 || frames > (size_t)1 << 28 || !(note_seconds >= 0))
        return drift_fail(DRIFT_ERR_ARG, "bad note length: %zu frames, note-off at %g s", frames, note_seconds);
    /* FluidSynth renders in blocks of 64 frames: note-off on a block edge */
    size_t off = (size_t)(note_seconds * f->rate) / BLOCK * BLOCK;
    off = off < frames ? off : frames;
    fluid_synth_t *syn = NULL;
    int sfont_id = 0, chan = drums ? 9 : 0;
    drift_status s = reserve(f, frames);
    if (s == DRIFT_OK)
        s = fresh_synth(f, &syn, &sfont_id);
    if (s != DRIFT_OK)
        return s;
    if (fluid_synth_program_select(syn, chan, sfont_id, drums ? 128 : 0, program) != FLUID_OK)
        s = drift_fail(DRIFT_ERR_ARG, "the SoundFont has no %s %d", drums ? "drum kit" : "program", program);
    if (s == DRIFT_OK) {
        fluid_synth_noteon(syn, chan, note, velocity);
        s = write_span(syn, f, 0, off);
    }
    if (s == DRIFT_OK) {
        fluid_synth_noteoff(syn, chan, note);
        s = write_span(syn, f, off, frames);
    }
    drop_synth(f, syn);
    for (size_t i = 0; s == DRIFT_OK && i < frames; i++)
        out[i] = 0.5f * (f->left[i] + f->right[i]);
    return s;
}

/* ---- the General MIDI one-shot data set ----------------------------------------- */

/* GM drum notes 35..81 and their tags (kit pieces, then hand percussion). */
static const char *const drum_names[47] = {
    "kick", "kick", "side stick", "snare", "clap", "electric snare", "low tom", "closed hat", "low tom",
    "pedal hat", "mid tom", "open hat", "mid tom", "high tom", "crash", "high tom", "ride", "china",
    "ride bell", "tambourine", "splash", "cowbell", "crash", "vibraslap", "ride", "high bongo", "low bongo",
    "muted conga", "high conga", "low conga", "high timbale", "low timbale", "high agogo", "low agogo",
    "cabasa", "maracas", "short whistle", "long whistle", "short guiro", "long guiro", "claves",
    "high wood block", "low wood block", "muted cuica", "open cuica", "muted triangle", "open triangle"};

static bool drum_is_kit_piece(int note)
{
    return (note >= 35 && note <= 53) || note == 55 || note == 57 || note == 59;
}

typedef struct gm_kit {
    int program;
    const char *tag;
} gm_kit;

static const gm_kit kits[] = {{0, "standard kit"}, {8, "room kit"},       {16, "power kit"},
                              {24, "electronic kit"}, {25, "808 kit"}, {32, "jazz kit"}};

typedef struct gm_program {
    int program;
    const char *name, *family;
    int lo, hi; /* MIDI range rendered */
} gm_program;

static const gm_program programs[] = {
    {0, "grand piano", "piano", 36, 84},          {4, "electric piano", "piano", 36, 84},
    {11, "vibraphone", "chromatic percussion", 48, 84}, {12, "marimba", "chromatic percussion", 45, 84},
    {16, "drawbar organ", "organ", 36, 84},       {19, "church organ", "organ", 36, 84},
    {24, "nylon guitar", "guitar", 40, 78},       {27, "clean guitar", "guitar", 40, 78},
    {30, "distortion guitar", "guitar", 40, 72},  {33, "finger bass", "bass", 28, 55},
    {38, "synth bass", "bass", 28, 60},           {40, "violin", "strings", 55, 84},
    {42, "cello", "strings", 36, 66},             {45, "pizzicato strings", "strings", 36, 78},
    {48, "string ensemble", "ensemble", 36, 84},  {52, "choir", "ensemble", 45, 78},
    {56, "trumpet", "brass", 54, 82},             {57, "trombone", "brass", 40, 70},
    {60, "french horn", "brass", 41, 72},         {65, "alto sax", "reed", 49, 80},
    {68, "oboe", "reed", 58, 84},                 {71, "clarinet", "reed", 50, 84},
    {73, "flute", "pipe", 60, 84},                {75, "pan flute", "pipe", 60, 84},
    {80, "square lead", "synth lead", 36, 84},    {81, "saw lead", "synth lead", 36, 84},
    {88, "new age pad", "synth pad", 36, 78},     {89, "warm pad", "synth pad", 36, 78},
};

static const int velocities[3] = {40, 80, 120};

/* One planned clip. */
typedef struct gm_clip {
    bool drums;
    int program, note, velocity;
    const char *name, *group; /* instrument or drum; family or kit */
} gm_clip;

/* The clips of the data set (or of its small version) in a fixed order;
 * returns the count, writing at most max. */
static int plan_clips(bool drums, bool small, gm_clip *out, int max)
{
    int n = 0;
    if (drums) {
        int nk = small ? 1 : (int)(sizeof kits / sizeof *kits);
        for (int k = 0; k < nk; k++)
            for (int note = 35; note <= 81; note++)
                for (int v = 0; v < 3; v++) {
                    if (small && (v != 1 || (note != 36 && note != 38 && note != 42 && note != 49)))
                        continue;
                    if (n < max)
                        out[n] = (gm_clip){true, kits[k].program, note, velocities[v], drum_names[note - 35],
                                           kits[k].tag};
                    n++;
                }
        return n;
    }
    int np = small ? 2 : (int)(sizeof programs / sizeof *programs);
    for (int i = 0; i < np; i++) {
        const gm_program *p = &programs[small ? i * 2 + 1 : i]; /* small: electric piano, church organ */
        for (int note = 36; note <= 84; note += 3)
            for (int v = 0; v < 3; v++) {
                if (note < p->lo || note > p->hi || (small && (v != 1 || (note != 48 && note != 60))))
                    continue;
                if (n < max)
                    out[n] = (gm_clip){false, p->program, note, velocities[v], p->name, p->family};
                n++;
            }
    }
    return n;
}

/* File name and manifest item of a clip. */
static void clip_item(const gm_clip *c, const char *sub, char *file, size_t cap, char tagbuf[4][48],
                      drift_sound_item *it)
{
    char pitch[8];
    drift_pitch_name(c->note, pitch);
    *it = (drift_sound_item){.file = file, .family = "", .pitch = -1, .velocity = c->velocity};
    snprintf(tagbuf[0], 48, "%s", c->name);
    snprintf(tagbuf[1], 48, "%s", c->drums ? (drum_is_kit_piece(c->note) ? "drum kit" : "percussion") : c->group);
    snprintf(tagbuf[2], 48, "%s", c->drums ? c->group : pitch);
    snprintf(tagbuf[3], 48, "%s", drift_velocity_word(c->velocity));
    for (int i = 0; i < 4; i++)
        it->tags[it->n_tags++] = tagbuf[i];
    it->family = tagbuf[1];
    if (!c->drums)
        it->pitch = c->note;
    char stem[64];
    snprintf(stem, sizeof stem, "%s", c->name);
    for (char *s = stem; *s; s++)
        *s = *s == ' ' ? '-' : *s;
    if (c->drums)
        snprintf(file, cap, "%s/k%02d-n%02d-%s-v%03d.wav", sub, c->program, c->note, stem, c->velocity);
    else
        snprintf(file, cap, "%s/p%03d-%s-n%02d-v%03d.wav", sub, c->program, stem, c->note, c->velocity);
}

typedef struct render_job {
    drift_fluid *fluid;
    const char *out_dir;
    const drift_render_options *o;
    const drift_sound_params *p;
    drift_audio clip;
    int done, total;
} render_job;

/* Renders one part (drums or notes) into OUT/sub/ and OUT/sub.csv. */
static drift_status render_part(render_job *job, bool drums)
{
    const char *sub = drums ? "drums" : "notes";
    int n = plan_clips(drums, job->o->small, NULL, 0);
    gm_clip *clips = malloc((size_t)n * sizeof *clips);
    if (!clips)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    plan_clips(drums, job->o->small, clips, n);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", job->out_dir, sub);
    drift_status s = drift_make_dirs(dir, true);
    drift_sound_manifest man = {0};
    double note_off = drums ? 0.25 : 1.0;
    for (int i = 0; i < n && s == DRIFT_OK; i++) {
        char file[256], path[4400], tagbuf[4][48];
        drift_sound_item it;
        clip_item(&clips[i], sub, file, sizeof file, tagbuf, &it);
        snprintf(path, sizeof path, "%s/%s", job->out_dir, file);
        s = drift_fluid_render(job->fluid, drums, clips[i].program, clips[i].note, clips[i].velocity, note_off,
                               job->clip.frames, job->clip.data);
        if (s == DRIFT_OK)
            s = drift_audio_write(path, &job->clip, DRIFT_AUDIO_WAV16);
        if (s == DRIFT_OK)
            s = drift_sound_manifest_add(&man, &it);
        if (job->o->progress)
            job->o->progress(job->o->progress_user, ++job->done, job->total);
    }
    if (s == DRIFT_OK) {
        snprintf(dir, sizeof dir, "%s/%s.csv", job->out_dir, sub);
        s = drift_sound_manifest_write(dir, &man);
    }
    drift_sound_manifest_free(&man);
    free(clips);
    return s;
}

drift_status drift_sound_render_gm(const char *out_dir, const drift_render_options *o, int *clips)
{
    drift_sound_params p;
    drift_sound_params_default(&p);
    if (o->params)
        p = *o->params;
    drift_status s = drift_sound_params_check(&p);
    if (s != DRIFT_OK)
        return s;
    s = drift_make_dirs(out_dir, true);
    if (s != DRIFT_OK)
        return s;
    render_job job = {.out_dir = out_dir, .o = o, .p = &p};
    job.total = plan_clips(true, o->small, NULL, 0) + plan_clips(false, o->small, NULL, 0);
    s = drift_fluid_open(o->soundfont ? o->soundfont : DRIFT_GM_SOUNDFONT, p.sample_rate, 1.0f, &job.fluid);
    if (s == DRIFT_OK)
        s = drift_audio_alloc(&job.clip, drift_sound_window_samples(&p), 1, p.sample_rate);
    if (s == DRIFT_OK)
        s = render_part(&job, true);
    if (s == DRIFT_OK)
        s = render_part(&job, false);
    drift_audio_free(&job.clip);
    drift_fluid_close(job.fluid);
    if (s == DRIFT_OK && clips)
        *clips = job.total;
    return s;
}
