/* cmd_dataset.c: `drift dataset render|import`: builds sound data sets
 * (audio/fluid.h renders the General MIDI one-shots; audio/sounddata.h
 * imports a folder of the user's audio files). */
#include "cli.h"
#include "commands.h"

#include "audio/fluid.h"
#include "audio/sounddata.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void help(void)
{
    printf("usage: drift dataset render OUT_DIR [--small] [--soundfont SF2]\n"
           "       drift dataset import AUDIO_DIR OUT_DIR [--tags CSV]\n\n"
           "render: plays one-shot notes of the General MIDI SoundFont (FluidSynth,\n"
           "  no reverb or chorus; deterministic) into OUT_DIR: the drum kits' sounds in\n"
           "  drums/ with drums.csv, melodic instruments at several pitches and velocities\n"
           "  in notes/ with notes.csv. Tags: instrument or drum, family or kit, pitch, velocity.\n"
           "import: takes a folder of audio files (mixed to mono, resampled to 22050 Hz,\n"
           "  cut to 1.47 s) into OUT_DIR with manifest.csv. Tags come from the file names\n"
           "  (split at '-', '_' and spaces) or from --tags CSV (lines: file,tag;tag;...).\n\n"
           "options:\n"
           "  --small            render a handful of clips only (tests)\n"
           "  --soundfont SF2    another SoundFont (default %s)\n"
           "  --tags CSV         tags for imported files\n"
           "  --quiet            no progress output\n\n"
           "examples:\n  drift dataset render data/sounds\n"
           "  drift train presets/drums.recipe -o drums.safetensors\n"
           "  drift dataset import my_samples/ data/mine --tags my_samples/tags.csv\n",
           DRIFT_GM_SOUNDFONT);
}

static void on_progress(void *user, int done, int total)
{
    cli_progress *bar = user;
    bar->total = total;
    cli_progress_update(bar, done);
}

static int render(const char *out, const char *sf2, bool small, bool quiet)
{
    cli_progress bar;
    cli_progress_start(&bar, "render", 1, quiet);
    drift_render_options o = {.soundfont = sf2, .small = small, .progress = on_progress, .progress_user = &bar};
    int clips = 0;
    double t0 = cli_now();
    if (drift_sound_render_gm(out, &o, &clips) != DRIFT_OK) {
        if (!quiet)
            fputc('\n', stderr);
        return cli_fail_status("dataset", "render");
    }
    cli_progress_finish(&bar);
    if (!quiet)
        fprintf(stderr, "drift dataset: %d clips in %.1f s\n", clips, cli_now() - t0);
    printf("%s/drums.csv\n%s/notes.csv\n", out, out);
    return 0;
}

static int import(const char *in, const char *out, const char *tags, bool quiet)
{
    int clips = 0;
    if (drift_sound_import(in, out, tags, NULL, &clips) != DRIFT_OK)
        return cli_fail_status("dataset", "import");
    if (!quiet)
        fprintf(stderr, "drift dataset: imported %d clips\n", clips);
    printf("%s/manifest.csv\n", out);
    return 0;
}

int cmd_dataset(int argc, char **argv)
{
    static const struct option opts[] = {{"small", no_argument, 0, 's'}, {"soundfont", required_argument, 0, 'f'},
                                         {"tags", required_argument, 0, 't'}, {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *sf2 = NULL, *tags = NULL;
    bool small = false, quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': small = true; break;
        case 'f': sf2 = optarg; break;
        case 't': tags = optarg; break;
        case 'q': quiet = true; break;
        case 'h': help(); return 0;
        default: return 2;
        }
    }
    int rest = argc - optind;
    const char *verb = rest > 0 ? argv[optind] : "";
    if (!strcmp(verb, "render") && rest == 2) {
        if (tags)
            return cli_error("dataset", "--tags is for import, not render");
        return render(argv[optind + 1], sf2, small, quiet);
    }
    if (!strcmp(verb, "import") && rest == 3) {
        if (small || sf2)
            return cli_error("dataset", "--small and --soundfont are for render, not import");
        return import(argv[optind + 1], argv[optind + 2], tags, quiet);
    }
    return cli_error("dataset", "expected 'render OUT_DIR' or 'import AUDIO_DIR OUT_DIR' (drift dataset --help)");
}
