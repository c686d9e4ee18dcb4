/* cmd_denoise.c: `drift denoise IN OUT`: removes hum, hiss and room noise
 * from audio files (one file, or a folder tree in batch) with a diffusion
 * model or the classical Wiener filter (audio/denoise.h). */
#include "cli.h"
#include "commands.h"

#include "audio/denoise.h"
#include "audio/pairs.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MODEL "denoise.safetensors"

typedef struct denoise_args {
    const char *in, *out, *model;
    drift_denoise_options o;
    bool quiet;
    cli_progress bar;
} denoise_args;

static void help(void)
{
    drift_denoise_options d;
    drift_denoise_options_default(&d);
    printf("usage: drift denoise IN OUT [options]\n"
           "       drift denoise IN -o OUT [options]\n"
           "       drift denoise IN_DIR OUT_DIR [options]   (every audio file, keeping the tree)\n\n"
           "Removes noise (hiss, hum, rumble, clicks, room and fan noise, babble) from\n"
           "audio files of any length, rate and channel count. The output has the\n"
           "input's rate and channels; .flac names give FLAC, other names WAV\n"
           "(in batch, outputs are .wav unless the input is .flac).\n\n"
           "options:\n"
           "  -o, --output PATH    output file (or folder)\n"
           "  --method M           diffusion (the learned model, the default) or spectral\n"
           "                       (a Wiener filter, no model: faster, and the better of the\n"
           "                       two on steady fan-like noise; docs/DENOISE.md)\n"
           "  --model PATH         denoising model (default: presets/" DEFAULT_MODEL ", beside the\n"
           "                       drift binary or in $DRIFT_PRESETS)\n"
           "  --steps N            sampler steps (default 1)\n"
           "  --draws N            average N sampled masks per window, their posterior mean\n"
           "                       (N times the time; default %d)\n"
           "  --strength S         how far the model may move away from the classical\n"
           "                       Wiener filter: 1 samples its correction from noise;\n"
           "                       below 1 starts from the Wiener gain noised to that\n"
           "                       level (default 1)\n"
           "  --seed N             random seed (default 0)\n"
           "  --griffin-lim N      refine the noisy phase with N Griffin-Lim iterations (default 0)\n"
           "  --mask-gain DB       raise (or lower) the model's masks by DB decibels (default:\n"
           "                       the model's calibration, stored by drift calibrate)\n"
           "  --threads N          cores to use (default: all)\n"
           "  --quiet              no progress output\n\n"
           "example:\n  drift denoise noisy.wav clean.wav\n"
           "  drift denoise recordings/ cleaned/ --method spectral\n",
           d.draws);
}

static int parse_option(int c, denoise_args *a)
{
    long v;
    switch (c) {
    case 'o': a->out = optarg; return 0;
    case 'm': a->model = optarg; return 0;
    case 'M':
        return drift_denoise_method_parse(optarg, &a->o.method) ? cli_fail_status("denoise", "--method") : 0;
    case 's':
        if (!cli_parse_int("denoise", "--steps", optarg, 1, 1000, &v))
            return 1;
        a->o.steps = (int)v;
        return 0;
    case 'd':
        if (!cli_parse_int("denoise", "--draws", optarg, 1, DRIFT_SAMPLER_MAX_DRAWS, &v))
            return 1;
        a->o.draws = (int)v;
        return 0;
    case 'S': return cli_parse_float("denoise", "--strength", optarg, 1e-3, 1, &a->o.strength) ? 0 : 1;
    case 'r': return cli_parse_u64("denoise", "--seed", optarg, &a->o.seed) ? 0 : 1;
    case 'g':
        if (!cli_parse_int("denoise", "--griffin-lim", optarg, 0, 1000, &v))
            return 1;
        a->o.gl_iters = (int)v;
        return 0;
    case 't':
        if (!cli_parse_int("denoise", "--threads", optarg, 1, 256, &v))
            return 1;
        drift_set_threads((int)v);
        return 0;
    case 'G': return cli_parse_float("denoise", "--mask-gain", optarg, -20, 20, &a->o.mask_gain_db) ? 0 : 1;
    case 'q': a->quiet = true; return 0;
    }
    return 2;
}

/* 0 to go on, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, denoise_args *a)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"model", required_argument, 0, 'm'},
        {"method", required_argument, 0, 'M'}, {"steps", required_argument, 0, 's'},
        {"strength", required_argument, 0, 'S'}, {"seed", required_argument, 0, 'r'},
        {"griffin-lim", required_argument, 0, 'g'}, {"threads", required_argument, 0, 't'},
        {"mask-gain", required_argument, 0, 'G'}, {"draws", required_argument, 0, 'd'},
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    drift_denoise_options_default(&a->o);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'h') {
            help();
            return -1;
        }
        int r = parse_option(c, a);
        if (r)
            return r;
    }
    int left = argc - optind;
    if (left < 1 || left > 2 || (left == 2 && a->out) || (left == 1 && !a->out))
        return cli_error("denoise", "wants IN OUT or IN -o OUT (drift denoise --help)");
    a->in = argv[optind];
    if (left == 2)
        a->out = argv[optind + 1];
    return 0;
}

static void on_progress(void *user, size_t done, size_t total)
{
    cli_progress *bar = user;
    bar->total = (long)total;
    cli_progress_update(bar, (long)done);
}

static int denoise_one(drift_audio_denoiser *d, denoise_args *a, const char *in, const char *out)
{
    cli_progress_start(&a->bar, "denoise", 1, a->quiet);
    if (drift_audio_denoise_file(d, in, out) != DRIFT_OK) {
        if (!a->quiet && a->bar.tty && a->bar.done > 0)
            fputc('\n', stderr);
        return cli_fail_status("denoise", in);
    }
    cli_progress_finish(&a->bar);
    printf("%s\n", out);
    return 0;
}

/* OUT_DIR/relative path of in, with a .wav name unless in is .flac. */
static void batch_output(const char *in_dir, const char *out_dir, const char *in, char *buf, size_t size)
{
    const char *rel = in + strlen(in_dir);
    while (*rel == '/')
        rel++;
    const char *dot = strrchr(rel, '.'), *slash = strrchr(rel, '/');
    int stem = dot && (!slash || dot > slash) ? (int)(dot - rel) : (int)strlen(rel);
    bool flac = dot && strcasecmp(dot, ".flac") == 0;
    snprintf(buf, size, "%s/%.*s%s", out_dir, stem, rel, flac ? ".flac" : ".wav");
}

static int denoise_tree(drift_audio_denoiser *d, denoise_args *a)
{
    char **paths;
    size_t n;
    if (drift_audio_list(a->in, &paths, &n) != DRIFT_OK)
        return cli_fail_status("denoise", a->in);
    if (n == 0) {
        drift_audio_list_free(paths, n);
        return cli_error("denoise", "no audio files under '%s'", a->in);
    }
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        char out[PATH_MAX + 64];
        batch_output(a->in, a->out, paths[i], out, sizeof out);
        if (drift_make_dirs(out, false) != DRIFT_OK) {
            failed += cli_fail_status("denoise", "cannot write");
            continue;
        }
        failed += denoise_one(d, a, paths[i], out) != 0;
    }
    drift_audio_list_free(paths, n);
    if (failed)
        return cli_error("denoise", "%d of %zu files failed", failed, n);
    return 0;
}

int cmd_denoise(int argc, char **argv)
{
    denoise_args a;
    int r = parse_args(argc, argv, &a);
    if (r)
        return r < 0 ? 0 : r;
    drift_model *model = NULL;
    char path[PATH_MAX + 64];
    if (a.o.method == DRIFT_DENOISE_DIFFUSION) {
        if (!a.model) {
            cli_preset_path(DEFAULT_MODEL, path, sizeof path);
            a.model = path;
        }
        if (drift_model_load(a.model, &model) != DRIFT_OK)
            return cli_fail_status("denoise", "cannot load the denoising model (--model PATH, or --method spectral)");
    }
    a.o.progress = on_progress;
    a.o.progress_user = &a.bar;
    drift_audio_denoiser *d;
    if (drift_audio_denoiser_create(model, &a.o, &d) != DRIFT_OK) {
        drift_model_free(model);
        return cli_fail_status("denoise", a.model ? a.model : "setup");
    }
    struct stat st;
    if (stat(a.in, &st) == 0 && S_ISDIR(st.st_mode))
        r = denoise_tree(d, &a);
    else
        r = denoise_one(d, &a, a.in, a.out);
    drift_audio_denoiser_free(d);
    drift_model_free(model);
    return r;
}
