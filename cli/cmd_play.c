/* cmd_play.c: `drift play FILE`: plays an audio file through PortAudio,
 * resampled to a rate the device accepts. */
#include "cli.h"
#include "commands.h"

#include "audio/drift_audio.h"

#include <getopt.h>
#include <stdio.h>

static void help(void)
{
    printf("usage: drift play FILE [--device N|NAME] [--quiet]\n\n"
           "Plays an audio file (WAV, FLAC, OGG, AIFF, MP3, ... anything libsndfile reads).\n\n"
           "  -d, --device N|NAME  output device: a number from `drift devices`, or part of\n"
           "                       its name (e.g. jack); default: the system's default output\n"
           "  -q, --quiet          no progress bar\n\n"
           "Prints the frames played (at the device's rate) when done.\n\n"
           "example:\n  drift play generated.wav --device jack\n");
}

static void on_progress(void *ctx, size_t played, size_t total)
{
    cli_progress *p = ctx;
    p->total = (long)total;
    cli_progress_update(p, (long)played);
}

int cmd_play(int argc, char **argv)
{
    static const struct option opts[] = {{"device", required_argument, 0, 'd'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *device = NULL;
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:qh", opts, NULL)) != -1) {
        if (c == 'h') {
            help();
            return 0;
        } else if (c == 'd') {
            device = optarg;
        } else if (c == 'q') {
            quiet = true;
        } else {
            return 2;
        }
    }
    if (argc - optind != 1)
        return cli_error("play", "expected one audio file (see drift play --help)");
    const char *path = argv[optind];
    drift_audio a;
    if (drift_audio_read(path, &a) != DRIFT_OK)
        return cli_fail_status("play", "cannot play");
    cli_progress bar;
    cli_progress_start(&bar, "play", (long)a.frames, quiet);
    size_t played = 0;
    double start = cli_now();
    drift_status s = drift_play_audio(&a, device, on_progress, &bar, &played);
    if (!s)
        cli_progress_finish(&bar);
    else if (bar.tty && !quiet && played)
        fputc('\n', stderr); /* end the interrupted bar's line */
    double seconds = (double)a.frames / a.rate;
    drift_audio_free(&a);
    if (s)
        return cli_fail_status("play", path);
    printf("played %zu frames (%.2f s of audio in %.2f s) from %s\n", played, seconds, cli_now() - start, path);
    return 0;
}
