/* cmd_generate.c: `drift generate PROMPT -o OUT.wav`: sounds from a sound
 * model and a tag prompt (audio/sound.h), with variations, longer clips
 * by continuation, a spectrogram picture and playback. */
#include "cli.h"
#include "commands.h"

#include "audio/drift_audio.h"
#include "audio/sound.h"
#include "vision/plot.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_MODEL "drums.safetensors" /* a shipped model (cli_preset_path) */

typedef struct gen_options {
    drift_sound_request rq;
    const char *model, *out, *png;
    char prompt[1024];
    bool play, quiet;
    long threads;
} gen_options;

static void help(void)
{
    printf("usage: drift generate PROMPT -o OUT.wav [options]\n\n"
           "Generates sounds from a sound model and a prompt of tags (drift tags MODEL\n"
           "lists them; an empty prompt \"\" gives unconditional sounds).\n\n"
           "options:\n"
           "  -o, --output PATH    the WAV file to write (with --count N: PATH-1.wav ... PATH-N.wav)\n"
           "  --model PATH         sound model (default presets/%s, beside the drift binary\n"
           "                       or in $DRIFT_PRESETS)\n"
           "  --seed N             random seed (default 0); variation i uses seed + i\n"
           "  --steps N            sampler steps (default 25)\n"
           "  --sampler NAME       ddpm, ddim, euler, heun, dpm++2m, dpm++2m-sde, ... (default dpm++2m)\n"
           "  --guidance G         classifier-free guidance scale, 1 = off (default 2)\n"
           "  --count N            variations (default 1)\n"
           "  --duration SECONDS   longer than the model's window, by continuation (default: one window)\n"
           "  --spectrogram PNG    also draw each sound's log-mel spectrogram\n"
           "  --play               play the sounds when done\n"
           "  --threads N          cores to use (default: all)\n"
           "  --quiet              no progress output\n\n"
           "examples:\n  drift generate snare --seed 3 -o snare.wav\n"
           "  drift generate \"electric piano C4 soft\" --model presets/notes.safetensors -o ep.wav\n",
           DEFAULT_MODEL);
}

static int parse_option(int c, gen_options *o)
{
    long v;
    double d;
    switch (c) {
    case 'o': o->out = optarg; return 0;
    case 'm': o->model = optarg; return 0;
    case 'S': o->png = optarg; return 0;
    case 'p': o->play = true; return 0;
    case 'q': o->quiet = true; return 0;
    case 's': return cli_parse_u64("generate", "--seed", optarg, &o->rq.seed) ? 0 : 1;
    case 'n':
        if (!cli_parse_int("generate", "--steps", optarg, 1, 10000, &v))
            return 1;
        o->rq.steps = (int)v;
        return 0;
    case 'c':
        if (!cli_parse_int("generate", "--count", optarg, 1, 1000, &v))
            return 1;
        o->rq.count = (int)v;
        return 0;
    case 't': return cli_parse_int("generate", "--threads", optarg, 1, 256, &o->threads) ? 0 : 1;
    case 'g':
        if (!cli_parse_float("generate", "--guidance", optarg, 0, 100, &d))
            return 1;
        o->rq.guidance = (float)d;
        return 0;
    case 'd': return cli_parse_float("generate", "--duration", optarg, 0.05, 600, &o->rq.seconds) ? 0 : 1;
    case 'a': return drift_sampler_parse(optarg, &o->rq.sampler) ? cli_fail_status("generate", "--sampler") : 0;
    }
    return 2;
}

static int parse_args(int argc, char **argv, gen_options *o)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"model", required_argument, 0, 'm'},
        {"seed", required_argument, 0, 's'},   {"steps", required_argument, 0, 'n'},
        {"sampler", required_argument, 0, 'a'}, {"guidance", required_argument, 0, 'g'},
        {"count", required_argument, 0, 'c'},  {"duration", required_argument, 0, 'd'},
        {"spectrogram", required_argument, 0, 'S'}, {"play", no_argument, 0, 'p'},
        {"threads", required_argument, 0, 't'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    drift_sound_request_defaults(&o->rq);
    o->rq.steps = 25;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'h') {
            help();
            return -1;
        }
        int r = parse_option(c, o);
        if (r)
            return r;
    }
    if (optind >= argc)
        return cli_error("generate", "wants a PROMPT of tags (or \"\" for none); see drift generate --help");
    for (int i = optind; i < argc; i++) { /* several words without quotes make one prompt */
        size_t len = strlen(o->prompt);
        if (len + strlen(argv[i]) + 2 > sizeof o->prompt)
            return cli_error("generate", "the prompt is too long");
        snprintf(o->prompt + len, sizeof o->prompt - len, "%s%s", len ? " " : "", argv[i]);
    }
    if (!o->out)
        return cli_error("generate", "-o OUT.wav is required: where to write the sound");
    o->rq.prompt = o->prompt;
    return 0;
}

/* PATH or, for one of several outputs, PATH with -i before its extension. */
static void numbered(const char *path, int i, int count, char *buf, size_t cap)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (count == 1) {
        snprintf(buf, cap, "%s", path);
        return;
    }
    int stem = dot && (!slash || dot > slash) ? (int)(dot - path) : (int)strlen(path);
    snprintf(buf, cap, "%.*s-%d%s", stem, path, i + 1, path + stem);
}

static drift_status draw_spectrogram(const char *png, const float *y, size_t n, const drift_sound_params *p,
                                     const char *title)
{
    drift_sound_params wide = *p;
    wide.frames = (int)(n / (size_t)p->hop) + 1;
    drift_sound_engine *e;
    drift_status s = drift_sound_engine_create_params(&wide, &e);
    float *mel = s ? NULL : malloc((size_t)wide.n_mels * (size_t)wide.frames * sizeof *mel);
    if (!s && !mel)
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    if (!s)
        s = drift_sound_engine_encode(e, y, n, mel);
    if (!s) {
        size_t cells = (size_t)wide.n_mels * (size_t)wide.frames;
        drift_spec_norm norm = {p->db_lo, p->db_hi};
        drift_spec_denormalize(&norm, mel, cells);
        drift_heatmap h = {.values = mel, .rows = wide.n_mels, .cols = wide.frames, .vmin = p->db_lo,
                           .vmax = p->db_hi, .title = title, .x_label = "time (s)",
                           .y_label = "mel band (power dB)", .x_max = (double)n / p->sample_rate};
        s = drift_plot_heatmap(png, &h);
    }
    free(mel);
    drift_sound_engine_free(e);
    return s;
}

static void on_step(void *user, int step, int total)
{
    cli_progress *bar = user;
    bar->total = total;
    cli_progress_update(bar, step);
}

static int write_outputs(const gen_options *o, const float *audio, size_t n, const drift_sound_params *p)
{
    for (int i = 0; i < o->rq.count; i++) {
        char path[4096], png[4096];
        drift_audio a = {(float *)audio + (size_t)i * n, n, 1, p->sample_rate};
        numbered(o->out, i, o->rq.count, path, sizeof path);
        if (drift_audio_write(path, &a, drift_audio_format_for_path(path)) != DRIFT_OK)
            return cli_fail_status("generate", path);
        printf("%s\n", path);
        if (o->png) {
            numbered(o->png, i, o->rq.count, png, sizeof png);
            if (draw_spectrogram(png, a.data, n, p, o->prompt[0] ? o->prompt : "unconditional") != DRIFT_OK)
                return cli_fail_status("generate", png);
            printf("%s\n", png);
        }
    }
    for (int i = 0; o->play && i < o->rq.count; i++) {
        drift_audio a = {(float *)audio + (size_t)i * n, n, 1, p->sample_rate};
        if (drift_play_audio(&a, NULL, NULL, NULL, NULL) != DRIFT_OK)
            return cli_fail_status("generate", "cannot play (the files were written)");
    }
    return 0;
}

static int missing_model(const char *path, bool is_default)
{
    if (is_default)
        return cli_error("generate", "no model at '%s' (set DRIFT_PRESETS to the presets folder, or pass --model). "
                         "To train it: drift dataset render data/sounds && "
                         "drift train presets/drums.recipe -o presets/drums.safetensors", path);
    return cli_error("generate", "no model at '%s' (the presets are presets/drums.safetensors and "
                     "presets/notes.safetensors; drift train presets/NAME.recipe makes them)", path);
}

int cmd_generate(int argc, char **argv)
{
    gen_options o;
    int r = parse_args(argc, argv, &o);
    if (r)
        return r < 0 ? 0 : r;
    if (o.threads)
        drift_set_threads((int)o.threads);
    char path[PATH_MAX + 64];
    bool is_default = !o.model;
    if (is_default) {
        cli_preset_path(DEFAULT_MODEL, path, sizeof path);
        o.model = path;
    }
    if (access(o.model, F_OK) != 0)
        return missing_model(o.model, is_default);
    drift_model *m;
    if (drift_model_load(o.model, &m) != DRIFT_OK)
        return cli_fail_status("generate", o.model);
    drift_sound_engine *e;
    if (drift_sound_engine_create(m, &e) != DRIFT_OK) {
        drift_model_free(m);
        return cli_fail_status("generate", o.model);
    }
    cli_progress bar;
    cli_progress_start(&bar, "generate", 1, o.quiet);
    o.rq.progress = on_step;
    o.rq.progress_user = &bar;
    float *audio;
    size_t n;
    drift_status s = drift_sound_engine_generate(e, &o.rq, &audio, &n);
    if (s == DRIFT_OK) {
        cli_progress_finish(&bar);
        r = write_outputs(&o, audio, n, drift_sound_engine_params(e));
        free(audio);
    } else {
        if (!o.quiet && bar.done > 0)
            fputc('\n', stderr);
        r = cli_fail_status("generate", "cannot generate");
    }
    drift_sound_engine_free(e);
    drift_model_free(m);
    return r;
}
